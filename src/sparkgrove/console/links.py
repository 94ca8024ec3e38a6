"""Console addresses of what the CLI just made (a model version, a run), printed after it."""

from __future__ import annotations

from urllib.parse import quote

from sparkgrove.settings import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def address_file(settings: Settings) -> str:
    """Where a running console records its base address."""
    return str(settings.workspace / "console" / "address")


def console_base(settings: Settings) -> str:
    """The base address of the workspace's console: the last one it served on, else the
    default."""
    try:
        with open(address_file(settings), encoding="utf-8") as handle:
            base = handle.read().strip()
    except OSError:
        base = ""
    return base or f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"


def console_link(settings: Settings, *parts: object) -> str:
    """The console's address of ``parts`` (``"models", name, version`` ...)."""
    return console_base(settings) + "/" + "/".join(quote(str(p), safe="") for p in parts)
