"""Choosing features and the task from a table's schema."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sparkgrove.errors import ConfigError, DataError
from sparkgrove.store.entities import ColumnSpec
from sparkgrove.trees.params import TASKS

NUMERIC_TYPES = ("tinyint", "smallint", "int", "bigint", "float", "double")
CATEGORICAL_TYPES = ("string", "boolean")
MAX_CLASSES = 100
"""A classification label with more distinct values than this is refused as continuous."""
AUTO_CLASSIFY_INTEGER_CLASSES = 20


def feature_kind(column: ColumnSpec) -> str | None:
    """``numeric``, ``categorical``, or ``None`` when the type cannot be a feature."""
    kind = column.type.lower()
    if kind in NUMERIC_TYPES or kind.startswith("decimal"):
        return "numeric"
    if kind in CATEGORICAL_TYPES:
        return "categorical"
    return None


@dataclass(frozen=True)
class FeaturePlan:
    """The columns used, with their kinds, and those left out with the reason."""

    features: tuple[tuple[str, str], ...]
    skipped: tuple[tuple[str, str], ...]


def plan_features(columns: Sequence[ColumnSpec], label: str, requested: Sequence[str] | None,
                  weight_col: str | None = None) -> FeaturePlan:
    """Pick feature columns: the requested ones, or every usable column but the label."""
    by_name = {c.name: c for c in columns}
    chosen: list[tuple[str, str]] = []
    skipped: list[tuple[str, str]] = []
    names = list(requested) if requested else [c.name for c in columns]
    for name in names:
        if name in (label, weight_col):
            if requested:
                raise ConfigError(f"Column {name!r} is the label or weight; it cannot be a feature.")
            continue
        column = by_name[name]
        kind = feature_kind(column)
        if kind is None:
            reason = f"type {column.type} cannot be a feature"
            if requested:
                raise DataError(
                    f"Column {name!r} has type {column.type}, which cannot be a tree feature; "
                    "use numeric, string or boolean columns (derive a number from dates).")
            skipped.append((name, reason))
            continue
        chosen.append((name, kind))
    if not chosen:
        raise DataError("No usable feature columns: give numeric, string or boolean columns "
                        "with --features.")
    return FeaturePlan(tuple(chosen), tuple(skipped))


def choose_task(label: ColumnSpec, requested: str | None, distinct_values: int) -> str:
    """The task: the requested one (checked against the label), else guessed from its type."""
    if requested is not None and requested not in TASKS:
        raise ConfigError(f"The task must be one of {', '.join(TASKS)}; got {requested!r}.")
    kind = feature_kind(label)
    if kind is None:
        raise DataError(f"The label {label.name!r} has type {label.type}, which fits neither "
                        "classification nor regression; use a numeric, string or boolean column.")
    task = requested
    if task is None:
        if kind == "categorical":
            task = "classification"
        elif label.type in ("float", "double") or label.type.startswith("decimal"):
            task = "regression"
        else:
            task = ("classification" if distinct_values <= AUTO_CLASSIFY_INTEGER_CLASSES
                    else "regression")
    if task == "regression" and kind != "numeric":
        raise DataError(f"The label {label.name!r} is {label.type}, but regression needs a "
                        "numeric label; use --task classification.")
    if task == "classification":
        if distinct_values < 2:
            raise DataError(f"The label {label.name!r} has a single value in the labelled rows; "
                            "a classifier needs at least two classes.")
        if distinct_values > MAX_CLASSES:
            raise DataError(
                f"The label {label.name!r} has more than {MAX_CLASSES} distinct values, too many "
                "for classification; use --task regression for a continuous label.")
    return task
