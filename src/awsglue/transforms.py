"""``from awsglue.transforms import *``."""

from sparkgrove.etl.transforms import (
    ApplyMapping,
    DropFields,
    DropNullFields,
    Filter,
    GlueTransform,
    Join,
    Map,
    Relationalize,
    RenameField,
    ResolveChoice,
    SelectFields,
    Spigot,
    SplitFields,
    SplitRows,
    Unbox,
    Union,
    Unnest,
)

__all__ = ["ApplyMapping", "DropFields", "DropNullFields", "Filter", "GlueTransform", "Join",
           "Map", "Relationalize", "RenameField", "ResolveChoice", "SelectFields", "Spigot",
           "SplitFields", "SplitRows", "Unbox", "Union", "Unnest"]
