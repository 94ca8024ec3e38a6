"""``getResolvedOptions``: job arguments as Glue passes them (``--NAME value``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sparkgrove.errors import GlueArgumentError

# What Glue passes every job besides the script's own arguments, and what
# getResolvedOptions therefore always returns (name in the result: default here).
ALWAYS_RESOLVED: dict[str, str | None] = {
    "job_bookmark_option": "job-bookmark-disable",
    "job_bookmark_from": None,
    "job_bookmark_to": None,
    "JOB_ID": None,
    "JOB_RUN_ID": None,
    "SECURITY_CONFIGURATION": None,
    "encryption_type": None,
    "enable_data_lineage": None,
    "RedshiftTempDir": None,
    "TempDir": None,
}
_ARG_NAMES = {"job_bookmark_option": "job-bookmark-option",
              "job_bookmark_from": "job-bookmark-from", "job_bookmark_to": "job-bookmark-to",
              "encryption_type": "encryption-type",
              "enable_data_lineage": "enable-data-lineage"}


def parse_arguments(argv: Sequence[str]) -> dict[str, str]:
    """Every ``--key value`` (or ``--key=value``) pair of ``argv``."""
    found: dict[str, str] = {}
    items = list(argv)
    i = 0
    while i < len(items):
        item = items[i]
        if item.startswith("--"):
            key, eq, value = item[2:].partition("=")
            if not eq:
                if i + 1 < len(items) and not items[i + 1].startswith("--"):
                    value = items[i + 1]
                    i += 1
                else:
                    value = "true"
            found[key] = value
        i += 1
    return found


def getResolvedOptions(args: Sequence[str], options: Sequence[str]) -> dict[str, Any]:
    """The values of ``options`` from ``args`` (``sys.argv``), plus the arguments Glue passes
    every job (``job_bookmark_option``, ``TempDir``, ``JOB_RUN_ID``, ...); a requested one
    that is missing is an error naming it."""
    given = parse_arguments(args[1:] if args and not args[0].startswith("--") else args)
    resolved: dict[str, Any] = {}
    for name, default in ALWAYS_RESOLVED.items():
        resolved[name] = given.get(_ARG_NAMES.get(name, name), given.get(name, default))
    for name in options:
        if name in given:
            resolved[name] = given[name]
        elif name.replace("_", "-") in given:
            resolved[name] = given[name.replace("_", "-")]
        elif resolved.get(name) is None:
            raise GlueArgumentError(f"The job argument --{name} is required; pass --{name} "
                                    "VALUE after the script.")
    return resolved
