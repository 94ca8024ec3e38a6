"""``sparkgrove serve``: registered models over HTTP, with no JVM."""

from __future__ import annotations

from typing import Annotated

import typer

from sparkgrove.cli.output import CliState, err_console


def serve(ctx: typer.Context,
          models: Annotated[list[str] | None, typer.Argument(
              metavar="[MODEL[:VERSION|@ALIAS]]...",
              help="Models to serve: NAME follows its newest version, NAME@ALIAS the version "
                   "the alias points at (switched without a restart), NAME:VERSION stays. "
                   "None: every registered model, newest version.")] = None,
          host: Annotated[str, typer.Option(help="Address to bind; anything but loopback "
                                                 "needs the token.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port to bind.")] = 8080,
          workers: Annotated[int, typer.Option(help="Server processes.")] = 1,
          auth: Annotated[bool, typer.Option(
              "--auth/--no-auth", help="Require 'Authorization: Bearer <token>' (the token is "
                                       "in <workspace>/serve/token). --no-auth only on "
                                       "loopback.")] = True,
          max_rows: Annotated[int, typer.Option(help="Most rows per request.")] = 100_000,
          max_body_mb: Annotated[int, typer.Option(help="Largest request body, MiB.")] = 64,
          poll_seconds: Annotated[float, typer.Option(
              help="How often the registry is checked for new versions and moved aliases.")]
          = 1.0) -> None:
    """Serve predictions over HTTP (sparkgrove's /v1 and the Open Inference Protocol's /v2)."""
    from sparkgrove.serving import ServeConfig, ensure_token, serve, token_file

    state: CliState = ctx.obj
    settings = state.settings(resolve_cluster=False)
    config = ServeConfig.of(settings, models or (), auth=auth, max_rows=max_rows,
                            max_body_bytes=max_body_mb * 1024 * 1024, poll_seconds=poll_seconds,
                            host=host, port=port, workers=workers)
    if auth:
        ensure_token(settings)
    shown = f"[{host}]" if ":" in host else host
    err_console.print(f"Serving on http://{shown}:{port} (API: /docs, /openapi.json)"
                      + (f"; token in {token_file(settings)}" if auth else "; no token needed"),
                      markup=False, highlight=False)
    serve(config)
