"""Glue's transforms as classes: ``ApplyMapping.apply(frame=dyf, mappings=[...])`` and so on;
each hands off to the DynamicFrame method of the same job."""

from __future__ import annotations

from typing import Any, ClassVar

from sparkgrove.etl.dynamicframe import DynamicFrame


class GlueTransform:
    """Base: ``apply(**kwargs)`` calls ``DynamicFrame.<method>`` on ``frame``."""

    method: ClassVar[str] = ""

    @classmethod
    def apply(cls, frame: DynamicFrame, *args: Any, **kwargs: Any) -> Any:
        """Run the transform."""
        return getattr(frame, cls.method)(*args, **kwargs)

    def __call__(self, frame: DynamicFrame, *args: Any, **kwargs: Any) -> Any:
        return self.apply(frame, *args, **kwargs)


class ApplyMapping(GlueTransform):
    """Select, rename and cast fields."""

    method = "apply_mapping"


class ResolveChoice(GlueTransform):
    """Settle choice fields."""

    method = "resolveChoice"


class DropNullFields(GlueTransform):
    """Drop fields null in every record."""

    method = "drop_null_fields"


class SelectFields(GlueTransform):
    """Keep some fields."""

    method = "select_fields"


class DropFields(GlueTransform):
    """Remove some fields."""

    method = "drop_fields"


class RenameField(GlueTransform):
    """Rename a field."""

    method = "rename_field"


class Filter(GlueTransform):
    """Keep records for which a function is true."""

    method = "filter"


class Map(GlueTransform):
    """Apply a function to every record."""

    method = "map"


class Unnest(GlueTransform):
    """Flatten nested structs."""

    method = "unnest"


class Unbox(GlueTransform):
    """Parse a JSON string field."""

    method = "unbox"


class Spigot(GlueTransform):
    """Write a sample of the records."""

    method = "spigot"


class Relationalize(GlueTransform):
    """Flatten and pivot arrays into child frames."""

    method = "relationalize"


class SplitFields(GlueTransform):
    """Split a frame by fields."""

    method = "split_fields"


class SplitRows(GlueTransform):
    """Split a frame by a condition on records."""

    method = "split_rows"


class Join(GlueTransform):
    """Equality join of two frames: ``Join.apply(frame1, frame2, keys1, keys2)``."""

    @classmethod
    def apply(  # type: ignore[override]
            cls, frame1: DynamicFrame, frame2: DynamicFrame, keys1: Any, keys2: Any,
              transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        """Join ``frame1`` and ``frame2`` on ``keys1`` = ``keys2``."""
        keys1 = [keys1] if isinstance(keys1, str) else list(keys1)
        keys2 = [keys2] if isinstance(keys2, str) else list(keys2)
        return frame1.join(keys1, keys2, frame2, transformation_ctx=transformation_ctx)


class Union(GlueTransform):
    """Records of two frames: ``Union.apply(frame1, frame2)``."""

    @classmethod
    def apply(  # type: ignore[override]
            cls, frame1: DynamicFrame, frame2: DynamicFrame, transformation_ctx: str = "",
              **kwargs: Any) -> DynamicFrame:
        """Union by field name."""
        return frame1.union(frame2, transformation_ctx=transformation_ctx)


__all__ = ["ApplyMapping", "DropFields", "DropNullFields", "Filter", "GlueTransform", "Join",
           "Map", "Relationalize", "RenameField", "ResolveChoice", "SelectFields", "Spigot",
           "SplitFields", "SplitRows", "Unbox", "Union", "Unnest"]
