"""Running the console: ``sparkgrove console`` serves it with uvicorn until interrupted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sparkgrove.console.app import create_app
from sparkgrove.console.links import DEFAULT_HOST, DEFAULT_PORT, address_file
from sparkgrove.console.security import ensure_token
from sparkgrove.errors import ConfigError
from sparkgrove.settings import Settings
from sparkgrove.staging import write_atomically
from sparkgrove.tokens import is_loopback


def console_url(host: str, port: int) -> str:
    """The base address for ``host`` and ``port`` (IPv6 in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def check_free(host: str, port: int) -> None:
    """Refuse, in one line, an address another process (an earlier console, say) holds."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}. Is a "
                              "console already running there? Open it, or pick another port "
                              "with --port.") from exc


def serve_console(settings: Settings, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                  announce: Callable[[str], None] = print) -> None:
    """Serve the console of ``settings``' workspace; ``announce`` gets the address with the
    token once the server is about to listen."""
    import uvicorn

    from sparkgrove.workspace import Workspace

    if not 0 < port < 65536:
        raise ConfigError(f"--port must be from 1 to 65535; got {port}.")
    check_free(host, port)
    settings.ensure_dirs()
    token = ensure_token(settings)
    app = create_app(Workspace(settings), token)
    base = console_url(host, port)
    write_atomically(Path(address_file(settings)),
                     (base + "\n").encode(), what="the console's address")
    if not is_loopback(host):
        announce(f"The console listens on {host}, reachable from other machines; every "
                 "request still needs the token.")
    announce(f"sparkgrove console: {base}/?token={token}")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                server_header=False)
