"""Turning user inputs (numpy, pandas, Arrow) into the local engine's float columns.

Categorical columns are encoded with vectorised pandas/Arrow operations (``pd.factorize``, a
pandas ``category`` column's own codes, Arrow's dictionary encoding): only the distinct values
pass through Python, never each row.

The category rule (both engines): a categorical feature keeps one index per category, sorted
alphabetically as MLlib's ``StringIndexer(stringOrderType="alphabetAsc")`` orders them, when it
has at most :data:`MAX_CATEGORIES`. A column with more keeps its :data:`MAX_CATEGORIES` most
frequent categories (ties broken by name); the rarer ones share the last index with unseen and
missing values, as LightGBM's categorical bins keep the frequent categories and group the rest.
Splits then order the kept categories by the node's target statistic (MLlib's ordered
categorical split), so a column of 50 states or 40,000 zip codes trains with default settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from sparkgrove.errors import ConfigError, DataError, DataTypeError
from sparkgrove.trees.model import FeatureSpec, category_text

MAX_CATEGORIES = 254
"""Categories with an index of their own per feature; one more index holds the rest."""


@dataclass
class Encoded:
    """Float columns (categorical ones as codes) and their feature specs.

    Columns are kept apart (views of the input where possible) rather than copied into one
    matrix: the engine bins them one by one.
    """

    columns: list[npt.NDArray[np.float64]]
    specs: tuple[FeatureSpec, ...]

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return int(self.columns[0].shape[0]) if self.columns else 0


def is_frame(x: Any) -> bool:
    """Whether ``x`` is a pandas DataFrame or an Arrow table (inputs with column names)."""
    return (hasattr(x, "column_names") and hasattr(x, "to_pandas")) or (
        hasattr(x, "columns") and hasattr(x, "dtypes") and hasattr(x, "iloc"))


def frame_columns(x: Any) -> tuple[list[str], dict[str, Any]]:
    """Column names and columns of a pandas DataFrame or an Arrow table."""
    if hasattr(x, "column_names") and hasattr(x, "to_pandas"):  # pyarrow.Table
        names = [str(c) for c in x.column_names]
        if len(set(names)) != len(names):
            raise DataError("X has duplicate column names; give each feature a distinct name.")
        return names, {name: _arrow_column(x.column(name)) for name in names}
    names = [str(c) for c in x.columns]
    if len(set(names)) != len(names):
        raise DataError("X has duplicate column names; give each feature a distinct name.")
    return names, {str(c): x[c] for c in x.columns}


def array_columns(array: npt.NDArray[Any]) -> tuple[list[str], dict[str, Any]]:
    """Columns ``x0, x1, ...`` of a 2-D array."""
    names = [f"x{j}" for j in range(array.shape[1])]
    return names, {name: array[:, j] for j, name in enumerate(names)}


def _arrow_column(column: Any) -> Any:
    """A numpy view of a numeric Arrow column (nulls as NaN), else a pandas Categorical."""
    import pyarrow as pa

    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        if column.null_count:
            column = column.cast(pa.float64()).fill_null(np.nan)
        chunks = [c.to_numpy(zero_copy_only=False) for c in column.chunks]  # views if possible
        if not chunks:
            return np.empty(0)
        joined = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
        return joined.astype(np.float64, copy=False)
    if pa.types.is_boolean(kind):
        return column.to_pandas()
    if not pa.types.is_dictionary(kind):
        column = column.dictionary_encode()
    return column.to_pandas()  # a Categorical: codes computed by Arrow, not per row in Python


def is_categorical_column(column: Any) -> bool:
    """Whether a column holds categories (strings, booleans, objects, pandas categories)."""
    dtype = getattr(column, "dtype", None)
    if dtype is None:
        return False
    kind = getattr(dtype, "kind", "O")
    return kind in ("O", "U", "S", "b") or str(dtype) in ("category", "string", "boolean", "str")


def factorize(column: Any) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Codes (``-1`` for missing) and the sorted distinct category texts of a column.

    Values that print the same (``1``, ``1.0`` and ``"1"``) are one category, as they are once
    Spark casts them to strings.
    """
    import pandas as pd

    values = column if isinstance(column, pd.Series | pd.Categorical | pd.Index) else np.asarray(
        column, dtype=object)
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError as exc:
        raise DataTypeError(f"A categorical column holds a value that is not a category: "
                            f"argument must be a string or a number ({exc}).") from exc
    texts = np.array([category_text(u) for u in uniques], dtype=object)
    if texts.size == 0:
        return np.asarray(codes, dtype=np.int64), []
    distinct, inverse = np.unique(texts.astype(str), return_inverse=True)
    mapped = np.append(inverse, -1)  # code -1 picks the trailing -1
    return mapped[codes].astype(np.int64), [str(t) for t in distinct]


def kept_categories(codes: npt.NDArray[np.int64], texts: list[str],
                    limit: int = MAX_CATEGORIES) -> tuple[str, ...]:
    """The categories that keep an index of their own: all, or the ``limit`` most frequent."""
    if len(texts) <= limit:
        return tuple(texts)
    counts = np.bincount(codes[codes >= 0], minlength=len(texts))
    # texts are sorted, so position breaks count ties by name
    order = np.lexsort((np.arange(len(texts)), -counts))[:limit]
    return tuple(texts[i] for i in sorted(order))


def fit_encoding(names: list[str], columns: dict[str, Any],
                 categorical: str | Sequence[int | str] | None) -> Encoded:
    """Encode training columns; see the module docstring for the category rule."""
    if not names:
        raise DataError("X has no columns; give at least one feature.")
    chosen = _categorical_names(names, columns, categorical)
    specs: list[FeatureSpec] = []
    out: list[npt.NDArray[np.float64]] = []
    for name in names:
        if name in chosen:
            codes, texts = factorize(columns[name])
            kept = kept_categories(codes, texts)
            position = {t: i for i, t in enumerate(kept)}
            lookup = np.array([position.get(t, len(kept)) for t in texts] + [len(kept)],
                              dtype=np.float64)
            out.append(lookup[codes])
            specs.append(FeatureSpec(name, "categorical", kept))
        else:
            out.append(numeric_column(columns[name], name))
            specs.append(FeatureSpec(name, "numeric"))
    return Encoded(out, tuple(specs))


def _categorical_names(names: list[str], columns: dict[str, Any],
                       categorical: str | Sequence[int | str] | None) -> set[str]:
    if categorical is None:
        return set()
    if isinstance(categorical, str):
        if categorical != "auto":
            raise ConfigError("The 'categorical_features' parameter must be 'auto', None, or a "
                              f"list of column names or indices. Got {categorical!r} instead.")
        return {n for n in names if is_categorical_column(columns[n])}
    chosen = set()
    for item in categorical:
        if isinstance(item, int | np.integer) and not isinstance(item, bool):
            if not 0 <= item < len(names):
                raise ConfigError(f"categorical_features index {item} is out of range for "
                                  f"{len(names)} columns.")
            chosen.add(names[int(item)])
        elif item in names:
            chosen.add(str(item))
        else:
            raise ConfigError(f"categorical_features names unknown column {item!r}; "
                              f"columns: {', '.join(names)}.")
    return chosen


def numeric_column(column: Any, name: str) -> npt.NDArray[np.float64]:
    """A float column (missing as NaN); infinite values are refused."""
    try:
        values = np.asarray(column, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"Column {name!r} is not numeric ({exc}); list it in "
                        "categorical_features or convert it.") from exc
    if np.isinf(values).any():
        row = int(np.flatnonzero(np.isinf(values))[0])
        raise DataError(f"Input X contains infinity in column {name!r} (first at row {row}); "
                        "replace infinite values with finite ones or NaN (missing).")
    return values


