"""``getResolvedOptions``: job arguments as Glue passes them (``--NAME value``)."""

from __future__ import annotations

from collections.abc import Sequence

from sparkgrove.errors import ConfigError

GLUE_PARAMETERS = ("job-bookmark-option", "TempDir", "enable-metrics", "job-language",
                   "enable-continuous-cloudwatch-log", "enable-glue-datacatalog",
                   "additional-python-modules", "extra-py-files", "enable-spark-ui")


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


def getResolvedOptions(args: Sequence[str], options: Sequence[str]) -> dict[str, str]:
    """The values of ``options`` from ``args`` (``sys.argv``); a missing one is an error."""
    given = parse_arguments(args[1:] if args and not args[0].startswith("--") else args)
    resolved = {}
    for name in options:
        if name not in given:
            raise ConfigError(f"The job argument --{name} is required; pass --{name} VALUE.")
        resolved[name] = given[name]
    if "job-bookmark-option" in given:
        resolved["job_bookmark_option"] = given["job-bookmark-option"]
    return resolved
