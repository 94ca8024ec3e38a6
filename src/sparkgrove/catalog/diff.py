"""What changed between two versions of a table's schema, column by column."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sparkgrove.store.entities import ColumnSpec


@dataclass(frozen=True)
class ColumnChange:
    """One column across two versions: ``added``, ``removed``, ``retyped`` or ``same``."""

    name: str
    change: str
    old_type: str | None
    new_type: str | None


def schema_diff(old: Sequence[ColumnSpec], new: Sequence[ColumnSpec]) -> list[ColumnChange]:
    """Columns of ``old`` then the new ones of ``new``, each with what became of it (names are
    compared as the catalog keeps them, case-insensitively, as Spark resolves them)."""
    new_by_name = {c.name.lower(): c for c in new}
    old_names = {c.name.lower() for c in old}
    changes = []
    for column in old:
        after = new_by_name.get(column.name.lower())
        if after is None:
            changes.append(ColumnChange(column.name, "removed", column.type, None))
        else:
            changes.append(ColumnChange(column.name, "same" if after.type == column.type
                                        else "retyped", column.type, after.type))
    changes += [ColumnChange(c.name, "added", None, c.type) for c in new
                if c.name.lower() not in old_names]
    return changes
