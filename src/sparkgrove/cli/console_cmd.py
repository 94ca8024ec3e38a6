"""``sparkgrove console``: the web console of the workspace."""

from __future__ import annotations

from typing import Annotated

import typer

from sparkgrove.cli.output import CliState, err_console
from sparkgrove.console.links import DEFAULT_HOST, DEFAULT_PORT


def console(ctx: typer.Context,
            host: Annotated[str, typer.Option(
                help="Address to bind (loopback by default; every request needs the token "
                     "wherever it binds).")] = DEFAULT_HOST,
            port: Annotated[int, typer.Option(help="Port to bind.")] = DEFAULT_PORT) -> None:
    """Serve the web console: tables, jobs, models and clusters, with the token in its URL."""
    from sparkgrove.console.server import serve_console

    state: CliState = ctx.obj
    serve_console(state.settings(resolve_cluster=False), host=host, port=port,
                  announce=lambda line: err_console.print(line, markup=False, highlight=False,
                                                           soft_wrap=True))
