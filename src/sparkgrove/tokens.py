"""Bearer tokens of sparkgrove's web servers (serving, console): generated into the workspace
once, readable by their owner alone; and the rule that a server without one stays on loopback."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

from sparkgrove.errors import ConfigError

TOKEN_BYTES = 32


def ensure_token(path: Path) -> str:
    """The token kept in ``path``, created (mode 0600) on first use; when processes race, the
    first to create it wins and the others read its token."""
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    tmp = path.with_name(f".token-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        token = path.read_text(encoding="utf-8").strip()
    finally:
        tmp.unlink(missing_ok=True)
    return token


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback name or address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, auth: bool) -> None:
    """Refuse to serve without a token anywhere but on loopback."""
    if not auth and not is_loopback(host):
        raise ConfigError(f"--no-auth is allowed only on a loopback host (127.0.0.1, ::1, "
                          f"localhost); {host!r} is reachable from other machines, so requests "
                          "must carry the token. Drop --no-auth, or bind 127.0.0.1.")
