"""Validation of user-supplied names, so that names can be used safely in paths and Spark SQL."""

from __future__ import annotations

import re

from sparkgrove.errors import InvalidNameError

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,127}$")
_MODEL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def check_name(name: str, what: str) -> str:
    """Return ``name`` lower-cased if it is a valid database or table name, else raise."""
    lowered = name.strip().lower()
    if not _NAME.match(lowered):
        raise InvalidNameError(
            f"The {what} name {name!r} is not allowed: use letters, digits and underscores, "
            "starting with a letter or underscore (at most 128 characters)."
        )
    return lowered


def check_model_name(name: str) -> str:
    """Return ``name`` if it is a valid model name, else raise."""
    if not _MODEL_NAME.match(name) or ".." in name:
        raise InvalidNameError(
            f"The model name {name!r} is not allowed: use letters, digits, '_', '-' and '.', "
            "starting with a letter, digit or underscore, and no '..'."
        )
    return name


def split_table_name(qualified: str) -> tuple[str, str]:
    """Split ``"db.table"`` into its validated parts."""
    parts = qualified.split(".")
    if len(parts) != 2:
        raise InvalidNameError(
            f"The table name {qualified!r} must be written DATABASE.TABLE, for example sales.orders."
        )
    return check_name(parts[0], "database"), check_name(parts[1], "table")


def sanitize_name(raw: str) -> str:
    """Turn a folder or column name into a valid name (lower case, underscores)."""
    cleaned = re.sub(r"[^a-z0-9_]+", "_", raw.strip().lower()).strip("_")
    if not cleaned:
        cleaned = "table"
    if cleaned[0].isdigit():
        cleaned = "_" + cleaned
    return cleaned[:128]
