"""Printing for the CLI: Rich tables for people, JSON for scripts, one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from sparkgrove.jsonable import to_jsonable

if TYPE_CHECKING:
    from sparkgrove.settings import Settings
from sparkgrove.settings import Settings, load_settings

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    """Global options of one invocation."""

    workspace: str | None = None
    catalog_url: str | None = None
    master: str | None = None
    cluster: str | None = None
    debug: bool = False
    spark_conf: str | None = None

    def settings(self, *, resolve_cluster: bool = True) -> Settings:
        """Settings resolved with these flags on top of environment and sparkgrove.toml."""
        settings = load_settings(workspace=self.workspace, catalog_url=self.catalog_url,
                                 spark_master=self.master, cluster=self.cluster,
                                 spark_conf_file=self.spark_conf)
        return settings if resolve_cluster else settings.with_overrides(cluster=None)


def emit_json(data: Any) -> None:
    """Write ``data`` (records, results, plain values) as JSON on stdout."""
    sys.stdout.write(json.dumps(to_jsonable(data), indent=2, default=str) + "\n")


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a Rich table."""
    out = Table(title=title, title_justify="left")
    for column in columns:
        out.add_column(column)
    for row in rows:
        out.add_row(*["" if v is None else str(v) for v in row])
    console.print(out)


@contextmanager
def progress(enabled: bool) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr showing the current step (silent when ``enabled`` is false)."""
    if not enabled:
        yield lambda _m: None
        return
    with err_console.status("starting") as status:
        def update(message: str) -> None:
            status.update(message)
            err_console.print(
                f"[dim]-[/dim] {message}")
        yield update


def console_line(settings: Settings, *parts: object) -> None:
    """Say where the web console shows what the command just made."""
    from sparkgrove.console.links import console_link

    console.print(f"console: {console_link(settings, *parts)} (serve it with `sparkgrove "
                  "console`)", markup=False, highlight=False)
