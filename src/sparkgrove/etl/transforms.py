"""Glue's transforms as classes, with the ``__call__`` signatures AWS documents.

``ApplyMapping.apply(frame=dyf, mappings=[...])`` makes the transform and calls it, as Glue's
``GlueTransform.apply`` does, so positional and keyword calls both follow the documented
parameter names. Each hands off to the DynamicFrame method of the same job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sparkgrove.etl.dynamicframe import DynamicFrame, DynamicFrameCollection
from sparkgrove.etl.glue_api import refuse


class GlueTransform:
    """Base of every transform: ``apply(*args, **kwargs)`` is ``cls()(*args, **kwargs)``."""

    __call__: Callable[..., Any]

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Make the transform and run it."""
        return cls()(*args, **kwargs)

    @classmethod
    def name(cls) -> str:
        """The transform's name."""
        return cls.__name__

    @classmethod
    def describeArgs(cls) -> list[dict[str, Any]]:
        """The arguments of ``__call__``: name, whether optional, default."""
        import inspect

        out = []
        for param in list(inspect.signature(cls.__call__).parameters.values())[1:]:
            if param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
                continue
            optional = param.default is not param.empty
            out.append({"name": param.name, "optional": optional,
                        "default": repr(param.default) if optional else None})
        return out

    @classmethod
    def describeReturn(cls) -> dict[str, str]:
        """What the transform returns."""
        return {"type": "DynamicFrame"}

    @classmethod
    def describeTransform(cls) -> str:
        """One line on what the transform does."""
        return (cls.__doc__ or cls.__name__).strip().splitlines()[0]

    @classmethod
    def describeErrors(cls) -> list[str]:
        """Errors the transform may raise."""
        return []

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """All of the above."""
        return {"transform": {"name": cls.name(), "description": cls.describeTransform(),
                              "parameters": cls.describeArgs()},
                "returns": cls.describeReturn(), "raises": cls.describeErrors()}


class ApplyMapping(GlueTransform):
    """Select, rename and cast fields."""

    def __call__(self, frame: DynamicFrame, mappings: Sequence[Sequence[str]],
                 transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
                 totalThreshold: int = 0) -> DynamicFrame:
        return frame.apply_mapping(mappings, transformation_ctx, info, stageThreshold,
                                   totalThreshold)


class DropFields(GlueTransform):
    """Remove some fields."""

    def __call__(self, frame: DynamicFrame, paths: Sequence[str], transformation_ctx: str = "",
                 info: str = "", stageThreshold: int = 0, totalThreshold: int = 0
                 ) -> DynamicFrame:
        return frame.drop_fields(paths, transformation_ctx, info, stageThreshold,
                                 totalThreshold)


class DropNullFields(GlueTransform):
    """Drop fields null in every record."""

    def __call__(self, frame: DynamicFrame, transformation_ctx: str = "", info: str = "",
                 stageThreshold: int = 0, totalThreshold: int = 0) -> DynamicFrame:
        return frame.drop_null_fields(transformation_ctx, info, stageThreshold, totalThreshold)


class ErrorsAsDynamicFrame(GlueTransform):
    """The error records of a frame, with their errors."""

    def __call__(self, frame: DynamicFrame) -> DynamicFrame:
        return frame.errorsAsDynamicFrame()


class Filter(GlueTransform):
    """Keep records for which a function is true."""

    def __call__(self, frame: DynamicFrame, f: Callable[[Any], bool],
                 transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
                 totalThreshold: int = 0) -> DynamicFrame:
        return frame.filter(f, transformation_ctx, info, stageThreshold, totalThreshold)


class FlatMap(GlueTransform):
    """Apply a transform to every frame of a collection and flatten the results."""

    def __call__(self, dfc: DynamicFrameCollection, BaseTransform: type[GlueTransform],
                 frame_name: str, transformation_ctx: str = "", **base_kwargs: Any
                 ) -> DynamicFrameCollection:
        def each(frame: DynamicFrame, ctx: str) -> Any:
            return BaseTransform.apply(**{frame_name: frame}, transformation_ctx=ctx,
                                       **base_kwargs)

        return dfc.flatmap(each, transformation_ctx)


class Join(GlueTransform):
    """Equality join of two frames."""

    def __call__(self, frame1: DynamicFrame, frame2: DynamicFrame, keys1: Any, keys2: Any,
                 transformation_ctx: str = "") -> DynamicFrame:
        return frame1.join(keys1, keys2, frame2, transformation_ctx)


class Map(GlueTransform):
    """Apply a function to every record."""

    def __call__(self, frame: DynamicFrame, f: Callable[[Any], Any],
                 transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
                 totalThreshold: int = 0) -> DynamicFrame:
        return frame.map(f, transformation_ctx, info, stageThreshold, totalThreshold)


class MapToCollection(GlueTransform):
    """Apply a transform (or function) to every frame of a collection."""

    def __call__(self, dfc: DynamicFrameCollection, callable: Any,
                 transformation_ctx: str = "") -> DynamicFrameCollection:
        if isinstance(callable, type) and issubclass(callable, GlueTransform):
            transform = callable

            def each(frame: DynamicFrame, ctx: str) -> DynamicFrame:
                result: DynamicFrame = transform.apply(frame, transformation_ctx=ctx)
                return result

            return dfc.map(each, transformation_ctx)
        return dfc.map(callable, transformation_ctx)


class Relationalize(GlueTransform):
    """Flatten and pivot arrays into child frames."""

    def __call__(self, frame: DynamicFrame, staging_path: str | None = None,
                 name: str = "roottable", options: dict[str, Any] | None = None,
                 transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
                 totalThreshold: int = 0) -> DynamicFrameCollection:
        return frame.relationalize(name, staging_path or "", options, transformation_ctx, info,
                                   stageThreshold, totalThreshold)


class RenameField(GlueTransform):
    """Rename a field."""

    def __call__(self, frame: DynamicFrame, old_name: str, new_name: str,
                 transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
                 totalThreshold: int = 0) -> DynamicFrame:
        return frame.rename_field(old_name, new_name, transformation_ctx, info,
                                  stageThreshold, totalThreshold)


class ResolveChoice(GlueTransform):
    """Settle choice fields."""

    def __call__(self, frame: DynamicFrame, specs: Sequence[tuple[str, str]] | None = None,
                 choice: str = "", database: str | None = None, table_name: str | None = None,
                 transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
                 totalThreshold: int = 0, catalog_id: str | None = None) -> DynamicFrame:
        return frame.resolveChoice(specs, choice, database, table_name, transformation_ctx,
                                   info, stageThreshold, totalThreshold, catalog_id)


class SelectFields(GlueTransform):
    """Keep some fields."""

    def __call__(self, frame: DynamicFrame, paths: Sequence[str], transformation_ctx: str = "",
                 info: str = "", stageThreshold: int = 0, totalThreshold: int = 0
                 ) -> DynamicFrame:
        return frame.select_fields(paths, transformation_ctx, info, stageThreshold,
                                   totalThreshold)


class SelectFromCollection(GlueTransform):
    """One frame of a collection, by name."""

    def __call__(self, dfc: DynamicFrameCollection, key: str, transformation_ctx: str = ""
                 ) -> DynamicFrame:
        return dfc.select(key, transformation_ctx)


class Spigot(GlueTransform):
    """Write a sample of the records."""

    def __call__(self, frame: DynamicFrame, path: str, options: dict[str, Any] | None,
                 transformation_ctx: str = "") -> DynamicFrame:
        return frame.spigot(path, options, transformation_ctx)


class SplitFields(GlueTransform):
    """Split a frame by fields."""

    def __call__(self, frame: DynamicFrame, paths: Sequence[str], name1: str | None = None,
                 name2: str | None = None, transformation_ctx: str = "", info: str = "",
                 stageThreshold: int = 0, totalThreshold: int = 0) -> DynamicFrameCollection:
        base = frame.name or "frame"
        return frame.split_fields(paths, name1 or f"{base}_split1", name2 or f"{base}_split2",
                                  transformation_ctx, info, stageThreshold, totalThreshold)


class SplitRows(GlueTransform):
    """Split a frame by a condition on records."""

    def __call__(self, frame: DynamicFrame, comparison_dict: dict[str, dict[str, Any]],
                 name1: str, name2: str, transformation_ctx: str = "", info: str | None = None,
                 stageThreshold: int = 0, totalThreshold: int = 0) -> DynamicFrameCollection:
        return frame.split_rows(comparison_dict, name1, name2, transformation_ctx, info or "",
                                stageThreshold, totalThreshold)


class Unbox(GlueTransform):
    """Parse a JSON string field."""

    def __call__(self, frame: DynamicFrame, path: str, format: str,
                 transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
                 totalThreshold: int = 0, **options: Any) -> DynamicFrame:
        return frame.unbox(path, format, transformation_ctx, info, stageThreshold,
                           totalThreshold, **options)


class UnnestFrame(GlueTransform):
    """Flatten nested structs."""

    def __call__(self, frame: DynamicFrame, transformation_ctx: str = "", info: str = "",
                 stageThreshold: int = 0, totalThreshold: int = 0) -> DynamicFrame:
        return frame.unnest(transformation_ctx, info, stageThreshold, totalThreshold)


Unnest = UnnestFrame  # the name this project's first scripts used


class Union(GlueTransform):
    """Records of two frames, fields matched by name (sparkgrove's; not in Glue's list)."""

    def __call__(self, frame1: DynamicFrame, frame2: DynamicFrame,
                 transformation_ctx: str = "") -> DynamicFrame:
        return frame1.union(frame2, transformation_ctx)


class FindMatches(GlueTransform):
    """Not offered: an ML transform of AWS's service."""

    def __call__(self, frame: DynamicFrame, transformId: str, transformation_ctx: str = "",
                 computeMatchConfidenceScores: int = 0) -> Any:
        refuse("FindMatches.__call__")


class FindIncrementalMatches(GlueTransform):
    """Not offered: an ML transform of AWS's service."""

    def __call__(self, existingFrame: DynamicFrame, incrementalFrame: DynamicFrame,
                 transformId: str, transformation_ctx: str = "",
                 computeMatchConfidenceScores: int = 0) -> Any:
        refuse("FindIncrementalMatches.__call__")


class FillMissingValues(GlueTransform):
    """Not offered: an ML transform of AWS's service."""

    def __call__(self, frame: DynamicFrame, missing_values_column: str, output_column: str = "",
                 transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
                 totalThreshold: int = 0) -> Any:
        refuse("FillMissingValues.__call__")


__all__ = [
    "ApplyMapping",
    "DropFields",
    "DropNullFields",
    "ErrorsAsDynamicFrame",
    "FillMissingValues",
    "Filter",
    "FindIncrementalMatches",
    "FindMatches",
    "FlatMap",
    "GlueTransform",
    "Join",
    "Map",
    "MapToCollection",
    "Relationalize",
    "RenameField",
    "ResolveChoice",
    "SelectFields",
    "SelectFromCollection",
    "Spigot",
    "SplitFields",
    "SplitRows",
    "Unbox",
    "Union",
    "Unnest",
    "UnnestFrame",
]
