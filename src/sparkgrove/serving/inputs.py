"""Prediction inputs as JSON carries them, checked against a model's feature spec and encoded.

Two shapes are taken, as serving APIs take them: records (``[{column: value}, ...]``) and
columns (``{column: [values]}``). Each column must be one of the model's features and every
feature must be there; a numeric feature takes numbers or null, a categorical one takes text,
numbers or booleans (written as the model writes categories) or null. Null, and a category the
model never saw, are predicted as the model defines them (its fill value, its missing-value
direction, its unseen-category bucket), never refused.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from sparkgrove.errors import InputError, RequestTooLargeError
from sparkgrove.trees.model import TreeModel, category_text

NUMBER_TYPES = (int, float)
CATEGORY_TYPES = (str, int, float, bool)


@dataclass(frozen=True)
class FeatureEncoder:
    """How one feature's JSON values become model inputs."""

    name: str
    categorical: bool
    lookup: Mapping[str, int]
    unseen: int
    fill_value: float | None

    def encode(self, values: Sequence[Any], where: str) -> npt.NDArray[np.float64]:
        """The encoded column; ``where`` names it in errors (``columns.age``)."""
        if self.categorical:
            return self._categories(values, where)
        kinds = set(map(type, values))
        if not kinds <= {int, float, type(None)}:
            row = next(i for i, v in enumerate(values) if type(v) not in (int, float, type(None)))
            raise InputError(
                f"{_at(where, row)} is {_json_kind(values[row])} {values[row]!r:.40}; feature "
                f"{self.name!r} is numeric, so give a number or null (null is predicted as the "
                "model treats missing values).", field=_at(where, row), rule="numeric")
        try:
            out = np.asarray(values, dtype=np.float64)  # None becomes NaN
        except OverflowError as exc:  # an integer beyond float range
            raise InputError(f"{where} holds a number too large for a float: {exc}.",
                             field=where, rule="numeric") from exc
        if np.isinf(out).any():
            row = int(np.nonzero(np.isinf(out))[0][0])
            raise InputError(f"{_at(where, row)} is infinite; give a finite number or null.",
                             field=_at(where, row), rule="finite")
        if self.fill_value is not None:
            out[np.isnan(out)] = self.fill_value
        return out

    def _categories(self, values: Sequence[Any], where: str) -> npt.NDArray[np.float64]:
        lookup, unseen = self.lookup, self.unseen
        out = np.empty(len(values), dtype=np.float64)
        for row, value in enumerate(values):
            if type(value) is str:
                out[row] = lookup.get(value, unseen)
            elif value is None or (type(value) is float and math.isnan(value)):
                out[row] = unseen
            elif isinstance(value, CATEGORY_TYPES):
                out[row] = lookup.get(category_text(value), unseen)
            else:
                raise InputError(
                    f"{_at(where, row)} is {_json_kind(value)}; feature {self.name!r} is "
                    "categorical, so give text, a number, a boolean or null.",
                    field=_at(where, row), rule="categorical")
        return out


class InputEncoder:
    """Checks and encodes request inputs for one model."""

    def __init__(self, model: TreeModel, *, max_rows: int) -> None:
        self.model = model
        self.max_rows = max_rows
        self.features = [
            FeatureEncoder(f.name, f.kind == "categorical",
                           {c: i for i, c in enumerate(f.categories)}, len(f.categories),
                           f.fill_value)
            for f in model.features]
        self.names = frozenset(f.name for f in model.features)

    def from_columns(self, columns: Mapping[str, Any], where: str = "columns"
                     ) -> npt.NDArray[np.float64]:
        """Encode ``{column: [values]}``."""
        self._check_names(columns.keys(), where)
        lengths = set()
        for name, values in columns.items():
            if not isinstance(values, list):
                raise InputError(f"{where}.{name} must be a list of values, one per row; got "
                                 f"{_json_kind(values)}.", field=f"{where}.{name}", rule="list")
            lengths.add(len(values))
        if len(lengths) > 1:
            sizes = ", ".join(f"{n}={len(v)}" for n, v in columns.items())
            raise InputError(f"The columns of {where} have different lengths ({sizes}); every "
                             "column needs one value per row.", field=where, rule="same_length")
        n_rows = lengths.pop() if lengths else 0
        self._check_rows(n_rows, where)
        out = np.empty((n_rows, len(self.features)), dtype=np.float64)
        for j, feature in enumerate(self.features):
            out[:, j] = feature.encode(columns[feature.name], f"{where}.{feature.name}")
        return out

    def from_records(self, records: Sequence[Any], where: str = "instances"
                     ) -> npt.NDArray[np.float64]:
        """Encode ``[{column: value}, ...]``."""
        self._check_rows(len(records), where)
        names = self.names
        for row, record in enumerate(records):
            if not isinstance(record, dict):
                raise InputError(f"{where}[{row}] must be an object of column: value; got "
                                 f"{_json_kind(record)}.", field=f"{where}[{row}]", rule="object")
            if record.keys() != names:
                self._check_names(record.keys(), f"{where}[{row}]")
        out = np.empty((len(records), len(self.features)), dtype=np.float64)
        for j, feature in enumerate(self.features):
            name = feature.name
            out[:, j] = feature.encode([r[name] for r in records], f"{where}[*].{name}")
        return out

    def _check_names(self, given: Any, where: str) -> None:
        unknown = sorted(set(given) - self.names)
        missing = [f.name for f in self.features if f.name not in given]
        if unknown:
            raise InputError(
                f"{where} has column(s) {', '.join(map(repr, unknown))} the model does not "
                f"know; its features are {', '.join(f.name for f in self.features)}.",
                field=f"{where}.{unknown[0]}", rule="known_column")
        if missing:
            raise InputError(
                f"{where} lacks column(s) {', '.join(map(repr, missing))}; give every feature "
                "(null where a value is missing).", field=f"{where}.{missing[0]}",
                rule="required_column")

    def _check_rows(self, n_rows: int, where: str) -> None:
        if n_rows > self.max_rows:
            raise RequestTooLargeError(
                f"{where} has {n_rows} rows; this server takes at most {self.max_rows} per "
                "request (sparkgrove serve --max-rows); split the batch.", field=where,
                rule="max_rows")


def _at(where: str, row: int) -> str:
    return where.replace("[*]", f"[{row}]") if "[*]" in where else f"{where}[{row}]"


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return "a number"
