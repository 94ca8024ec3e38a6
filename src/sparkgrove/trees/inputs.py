"""Turning user inputs (numpy, pandas, Arrow) into the local engine's float matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from sparkgrove.errors import ConfigError, DataError
from sparkgrove.trees.model import FeatureSpec, category_codes, category_text


@dataclass
class Encoded:
    """Float columns (categorical ones as codes, missing as NaN) and their feature specs.

    Columns are kept apart (views of the input where possible) rather than copied into one
    matrix: the engine bins them one by one.
    """

    columns: list[npt.NDArray[np.float64]]
    specs: tuple[FeatureSpec, ...]

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return int(self.columns[0].shape[0]) if self.columns else 0


def to_columns(x: Any) -> tuple[list[str], dict[str, Any]]:
    """Column names and columns of a pandas DataFrame, Arrow table or 2-D array."""
    if hasattr(x, "column_names") and hasattr(x, "to_pandas"):  # pyarrow.Table
        names = [str(c) for c in x.column_names]
        return names, {name: _arrow_column(x.column(name)) for name in names}
    if hasattr(x, "columns") and hasattr(x, "dtypes"):  # pandas.DataFrame
        names = [str(c) for c in x.columns]
        return names, {str(c): x[c] for c in x.columns}
    array = np.asarray(x)
    if array.ndim != 2:
        raise DataError(f"X must be 2-dimensional (rows x features); got shape {array.shape}.")
    names = [f"x{j}" for j in range(array.shape[1])]
    return names, {name: array[:, j] for j, name in enumerate(names)}


def _arrow_column(column: Any) -> Any:
    """A numpy view of a numeric Arrow column (nulls as NaN), else an object array."""
    import pyarrow as pa

    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        if column.null_count:
            column = column.cast(pa.float64()).fill_null(np.nan)
        chunks = [c.to_numpy(zero_copy_only=False) for c in column.chunks]  # views if possible
        joined = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
        return joined.astype(np.float64, copy=False)
    return np.asarray(column.to_pylist(), dtype=object)


def _is_categorical_series(column: Any) -> bool:
    dtype = getattr(column, "dtype", None)
    if dtype is None:
        return False
    kind = getattr(dtype, "kind", "O")
    return kind in ("O", "U", "S", "b") or str(dtype) in ("category", "string", "boolean", "str")


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float | np.floating) and np.isnan(value))


def fit_encoding(x: Any, categorical: str | Sequence[int | str] | None) -> Encoded:
    """Encode training inputs; categories are sorted (as MLlib's ``alphabetAsc``), and one
    extra bucket (the last code) holds unseen and missing values."""
    names, columns = to_columns(x)
    if not names:
        raise DataError("X has no columns; give at least one feature.")
    if categorical == "auto" or categorical is None:
        chosen = {n for n in names if _is_categorical_series(columns[n])} \
            if categorical == "auto" else set()
    else:
        chosen = set()
        for item in categorical:
            if isinstance(item, int):
                if not 0 <= item < len(names):
                    raise ConfigError(f"categorical_features index {item} is out of range for "
                                      f"{len(names)} columns.")
                chosen.add(names[item])
            elif item in names:
                chosen.add(item)
            else:
                raise ConfigError(f"categorical_features names unknown column {item!r}; "
                                  f"columns: {', '.join(names)}.")
    specs = []
    for name in names:
        if name in chosen:
            values = np.asarray(columns[name], dtype=object)
            present = sorted({category_text(v) for v in values if not _is_missing(v)})
            specs.append(FeatureSpec(name, "categorical", tuple(present)))
        else:
            specs.append(FeatureSpec(name, "numeric"))
    return Encoded(encode_columns(columns, tuple(specs)), tuple(specs))


def encode_columns(columns: dict[str, Any], specs: tuple[FeatureSpec, ...]
                   ) -> list[npt.NDArray[np.float64]]:
    """Float columns under ``specs`` (unseen categories take the last code)."""
    missing = [s.name for s in specs if s.name not in columns]
    if missing:
        raise DataError(f"X lacks feature column(s) {', '.join(missing)} seen at fit time.")
    out = []
    for spec in specs:
        if spec.kind == "numeric":
            try:
                out.append(np.asarray(columns[spec.name], dtype=np.float64))
            except (TypeError, ValueError) as exc:
                raise DataError(f"Column {spec.name!r} is not numeric ({exc}); list it in "
                                "categorical_features or convert it.") from exc
        else:
            out.append(category_codes(columns[spec.name], spec.categories))
    return out


def encode(columns: dict[str, Any], names: list[str], specs: tuple[FeatureSpec, ...]
           ) -> npt.NDArray[np.float64]:
    """The float matrix of ``columns`` under ``specs``."""
    encoded = encode_columns(columns, specs)
    return np.column_stack(encoded) if encoded else np.empty((0, 0))
