"""``from awsglue.transforms import *``: every transform Glue's PySpark reference lists."""

from sparkgrove.etl.transforms import (
    ApplyMapping,
    DropFields,
    DropNullFields,
    ErrorsAsDynamicFrame,
    Filter,
    FlatMap,
    GlueTransform,
    Join,
    Map,
    MapToCollection,
    Relationalize,
    RenameField,
    ResolveChoice,
    SelectFields,
    SelectFromCollection,
    Spigot,
    SplitFields,
    SplitRows,
    Unbox,
    Union,
    Unnest,
    UnnestFrame,
)

__all__ = ["ApplyMapping", "DropFields", "DropNullFields", "ErrorsAsDynamicFrame", "Filter",
           "FlatMap", "GlueTransform", "Join", "Map", "MapToCollection", "Relationalize",
           "RenameField", "ResolveChoice", "SelectFields", "SelectFromCollection", "Spigot",
           "SplitFields", "SplitRows", "Unbox", "Union", "Unnest", "UnnestFrame"]
