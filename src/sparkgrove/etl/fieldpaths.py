"""Field paths as Glue writes them, resolved as Glue and Spark resolve them.

A path is dot-separated (``customer.address.city``); a segment in backticks may hold dots
(```this.old.name```). Names match case-insensitively, as Glue documents for ApplyMapping and
as Spark SQL does by default; an exact-case match wins when two names differ only in case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sparkgrove.errors import DataError

if TYPE_CHECKING:
    from pyspark.sql import Column
    from pyspark.sql.types import DataType, StructType


def parse_path(path: str) -> list[str]:
    """``a.`b.c`.d`` -> ``["a", "b.c", "d"]``."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    i = 0
    while i < len(path):
        char = path[i]
        if char == "`":
            if quoted and i + 1 < len(path) and path[i + 1] == "`":  # `` is a literal backtick
                current.append("`")
                i += 2
                continue
            quoted = not quoted
        elif char == "." and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    if quoted:
        raise DataError(f"The field path {path!r} has an unclosed backtick; quote a name that "
                        "holds dots as `a.b`.")
    parts.append("".join(current))
    if any(p == "" for p in parts):
        raise DataError(f"The field path {path!r} has an empty segment; write names separated "
                        "by single dots.")
    return parts


def quote(name: str) -> str:
    """A name as one Spark column segment."""
    return "`" + name.replace("`", "``") + "`"


def find_name(name: str, names: list[str]) -> str | None:
    """The name among ``names`` that ``name`` refers to (exact case first), or None."""
    if name in names:
        return name
    folded = [n for n in names if n.lower() == name.lower()]
    return folded[0] if len(folded) == 1 else None


def resolve(schema: StructType, path: str | list[str]) -> list[str] | None:
    """The path's segments spelled as in ``schema``, or None when it names no field."""
    from pyspark.sql.types import StructType

    parts = parse_path(path) if isinstance(path, str) else path
    resolved: list[str] = []
    current: DataType = schema
    for part in parts:
        if not isinstance(current, StructType):
            return None
        found = find_name(part, current.fieldNames())
        if found is None:
            return None
        resolved.append(found)
        current = current[found].dataType
    return resolved


def column(parts: list[str]) -> Column:
    """The Spark column of resolved segments."""
    from pyspark.sql import functions as F

    return F.col(".".join(quote(p) for p in parts))


def require(schema: StructType, path: str, what: str) -> list[str]:
    """Resolve ``path`` or raise naming the transform and the fields there are."""
    found = resolve(schema, path)
    if found is None:
        raise DataError(f"{what}: no field {path!r}; fields: {', '.join(schema.fieldNames())}. "
                        "Names match case-insensitively; quote a name with dots as `a.b`.")
    return found
