"""One encoder from sparkgrove's objects to JSON-ready values, for ``--json`` output, records
and the web apps: dataclasses become dicts of their fields (a field with ``metadata={"json":
False}`` is left out; an object with a document form of its own, such as a ``TreeModel``, gives
its ``to_dict()``), datetimes ISO 8601 text, paths and enums their text, tuples and sets lists,
numpy scalars Python numbers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from pathlib import PurePath
from typing import Any


def to_jsonable(value: Any) -> Any:
    """``value`` in JSON-ready form (recursively)."""
    encode = getattr(value, "to_dict", None)
    if callable(encode) and not isinstance(value, type | dict):
        return to_jsonable(encode())  # an object with a document form of its own
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.metadata.get("json", True)}
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value
