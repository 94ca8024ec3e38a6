"""The server's bearer token: generated into the workspace once, readable by its owner alone."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

from sparkgrove.errors import ConfigError
from sparkgrove.settings import Settings

TOKEN_BYTES = 32


def token_file(settings: Settings) -> Path:
    """Where the serving token is kept."""
    return settings.workspace / "serve" / "token"


def ensure_token(settings: Settings) -> str:
    """The workspace's serving token, created (mode 0600) on first use."""
    path = token_file(settings)
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
        os.link(tmp, path)  # the first process to create it wins; the others read its token
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
