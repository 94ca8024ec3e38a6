"""Validation of user-supplied names, so that names can be used safely in paths and Spark SQL."""

from __future__ import annotations

import re

from sparkgrove.errors import InvalidNameError

# Glue's rules for database and table names: lower case, at most 255 characters; crawlers keep
# hyphens and leading digits from folder names. We also forbid a leading hyphen (it would read
# as a command-line flag) and anything else, so a name is always safe in a path.
_NAME = re.compile(r"^[a-z0-9_][a-z0-9_-]{0,254}$")
_SPARK_NAME = re.compile(r"[^a-z0-9_]")
_MODEL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def check_name(name: str, what: str) -> str:
    """Return ``name`` lower-cased if it is a valid database or table name, else raise."""
    lowered = name.lower()  # whitespace, a trailing newline included, is never part of a name
    if not _NAME.fullmatch(lowered):
        raise InvalidNameError(
            f"The {what} name {name!r} is not allowed: use letters, digits, underscores and "
            "hyphens, not starting with a hyphen (at most 255 characters), as AWS Glue does."
        )
    return lowered


def check_model_name(name: str) -> str:
    """Return ``name`` if it is a valid model name, else raise."""
    if not _MODEL_NAME.fullmatch(name) or ".." in name:
        raise InvalidNameError(
            f"The model name {name!r} is not allowed: use letters, digits, '_', '-' and '.', "
            "starting with a letter, digit or underscore, and no '..'."
        )
    return name


_ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")


def check_alias(alias: str) -> str:
    """Return ``alias`` if it is a valid model alias, else raise (a version number is not one,
    so ``name@3`` cannot be mistaken for ``name:3``)."""
    if not _ALIAS.fullmatch(alias) or alias.lower() == "latest":
        raise InvalidNameError(
            f"The model alias {alias!r} is not allowed: use up to 64 letters, digits, '_' and "
            "'-', starting with a letter or '_' (and not 'latest', which every model has).")
    return alias


def split_table_name(qualified: str) -> tuple[str, str]:
    """Split ``"db.table"`` into its validated parts."""
    parts = qualified.split(".")
    if len(parts) != 2:
        raise InvalidNameError(
            f"The table name {qualified!r} must be written DATABASE.TABLE, for example sales.orders."
        )
    return check_name(parts[0], "database"), check_name(parts[1], "table")


def table_name_from(raw: str) -> str:
    """The table name a Glue crawler gives a folder or file (``Sales-2024`` -> ``sales-2024``,
    ``persons.json`` -> ``persons_json``): lower case, hyphens kept, other runs of characters
    that are not letters or digits become one underscore."""
    cleaned = re.sub(r"[^a-z0-9_-]+", "_", raw.strip().lower()).strip("_-")
    return (cleaned or "table")[:255]


def spark_name(name: str) -> str:
    """The name Spark's session catalog can hold for a catalog name: Spark allows only
    letters, digits and underscores, so a hyphen becomes an underscore."""
    return _SPARK_NAME.sub("_", name)


def sanitize_name(raw: str) -> str:
    """Turn a column or partition-key name into a valid name (lower case, underscores)."""
    cleaned = re.sub(r"[^a-z0-9_]+", "_", raw.strip().lower()).strip("_")
    if not cleaned:
        cleaned = "table"
    if cleaned[0].isdigit():
        cleaned = "_" + cleaned
    return cleaned[:128]
