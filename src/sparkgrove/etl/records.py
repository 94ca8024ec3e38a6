"""``DynamicRecord``: a record as ``Map`` and ``Filter`` functions receive it.

Glue's record functions read fields as ``rec["name"]``; scripts written against DataFrame rows
use ``rec.name`` too. Both work here, on nested records as well, and the record is a ``dict``
so ``rec.get``, ``del rec["x"]`` and ``rec["new"] = ...`` behave as users expect.
"""

from __future__ import annotations

from typing import Any


class DynamicRecord(dict[str, Any]):
    """A dict whose keys are also attributes."""

    @classmethod
    def wrap(cls, value: Any) -> Any:
        """Nested dicts (and dicts in lists) become records too."""
        if isinstance(value, dict):
            return cls({k: cls.wrap(v) for k, v in value.items()})
        if isinstance(value, list):
            return [cls.wrap(v) for v in value]
        return value

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"the record has no field {name!r}; fields: "
                                 f"{', '.join(self)}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None


def as_plain(value: Any) -> Any:
    """Records back to plain dicts and lists (Spark Rows too), for JSON."""
    if hasattr(value, "asDict"):
        value = value.asDict(recursive=True)
    if isinstance(value, dict):
        return {k: as_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_plain(v) for v in value]
    return value
