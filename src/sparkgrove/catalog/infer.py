"""Inferring column types from sampled text values, and widening types across values and files.

Type names are Spark SQL's: ``boolean``, ``int``, ``bigint``, ``double``, ``date``,
``timestamp``, ``string`` (and nested ``struct<...>`` / ``array<...>`` for JSON).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

NULL_TOKENS = frozenset({"", "NA", "N/A", "null", "NULL", "None", "?"})
"""Text values read as missing. Spark reads one of them per table: the one the crawler saw."""

NULL = "null"  # the type of a value that is missing; widens to anything
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(NaN|Infinity)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$")
_INT32 = 2**31
_INT64 = 2**63

# Where two types meet, the result: a chain of numeric and temporal widenings, else string.
_NUMERIC_RANK = {"int": 0, "bigint": 1, "double": 2}


def infer_text_type(value: str) -> str:
    """The narrowest type that reads ``value`` (``null`` for a missing value)."""
    text = value.strip()
    if text in NULL_TOKENS:
        return NULL
    if _INT.match(text):
        number = int(text)
        if -_INT32 <= number < _INT32:
            return "int"
        return "bigint" if -_INT64 <= number < _INT64 else "double"
    if _FLOAT.match(text):
        return "double"
    if text.lower() in ("true", "false"):
        return "boolean"
    if _DATE.match(text):
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            return "string"
        return "date"
    if _TIMESTAMP.match(text):
        try:
            dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return "string"
        return "timestamp"
    return "string"


def infer_csv_type(value: str) -> str:
    """The type AWS Glue's built-in CSV classifier gives ``value``: whole numbers are
    ``bigint``, and dates and times stay ``string`` (Glue types neither; cast them in the job
    with ``ApplyMapping`` or ``resolveChoice``)."""
    kind = infer_text_type(value)
    if kind == "int":
        return "bigint"
    return "string" if kind in ("date", "timestamp") else kind


def infer_json_type(value: Any) -> str:
    """The Spark type of a decoded JSON value."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint" if -_INT64 <= value < _INT64 else "double"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"  # as Glue's JSON classifier: dates in JSON text stay strings
    if isinstance(value, list):
        element = widen_all(infer_json_type(v) for v in value)
        return f"array<{'string' if element == NULL else element}>"
    if isinstance(value, dict):
        fields = ",".join(f"{_field(k)}:{_nonnull(infer_json_type(v))}" for k, v in value.items())
        return f"struct<{fields}>"
    return "string"


def _field(name: str) -> str:
    return name if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name) else f"`{name.replace('`', '')}`"


def _nonnull(kind: str) -> str:
    return "string" if kind == NULL else kind


def widen(left: str, right: str) -> str:
    """The narrowest type that holds values of both types."""
    if left == right:
        return left
    if left == NULL:
        return right
    if right == NULL:
        return left
    if left in _NUMERIC_RANK and right in _NUMERIC_RANK:
        return left if _NUMERIC_RANK[left] > _NUMERIC_RANK[right] else right
    if {left, right} == {"date", "timestamp"}:
        return "timestamp"
    if left.startswith("struct<") and right.startswith("struct<"):
        return _widen_struct(left, right)
    if left.startswith("array<") and right.startswith("array<"):
        return f"array<{widen(left[6:-1], right[6:-1])}>"
    return "string"


def _split_top(inner: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    if inner[start:]:
        parts.append(inner[start:])
    return parts


def _widen_struct(left: str, right: str) -> str:
    fields: dict[str, str] = {}
    for part in _split_top(left[7:-1]) + _split_top(right[7:-1]):
        name, _, kind = part.partition(":")
        fields[name] = widen(fields[name], kind) if name in fields else kind
    return "struct<" + ",".join(f"{k}:{v}" for k, v in fields.items()) + ">"


def widen_all(kinds: Iterable[str]) -> str:
    """Widen a sequence of types (``null`` if empty)."""
    result = NULL
    for kind in kinds:
        result = widen(result, kind)
    return result


def finish(kind: str) -> str:
    """A column whose every sampled value was missing is read as string."""
    return "string" if kind == NULL else kind


