"""``sparkgrove etl``: run Glue-style scripts, list runs, show and reset bookmarks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from sparkgrove.cli.output import CliState, console, console_line, emit_json, table
from sparkgrove.errors import EtlError
from sparkgrove.store.states import RunState

if TYPE_CHECKING:
    from sparkgrove.workspace import Workspace

app = typer.Typer(help="Run Glue-style ETL scripts unchanged, with job bookmarks.",
                  no_args_is_help=True)
bookmark_app = typer.Typer(help="Job bookmarks.", no_args_is_help=True)
app.add_typer(bookmark_app, name="bookmark")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _workspace(ctx: typer.Context) -> Workspace:
    from sparkgrove.workspace import Workspace

    state: CliState = ctx.obj
    return Workspace(state.settings())


@app.command("run", context_settings={"allow_extra_args": True,
                                      "ignore_unknown_options": True})
def run(ctx: typer.Context,
        script: Annotated[str, typer.Argument(help="A Glue-style PySpark script.")],
        as_json: JsonOpt = False) -> None:
    """Run SCRIPT; extra arguments (--JOB_NAME x --key value ...) go to the script."""
    from sparkgrove.etl.runner import run_script

    record = run_script(_workspace(ctx), script, list(ctx.args), echo=not as_json)
    if as_json:
        emit_json(record)
    else:
        console.print(f"Run {record.id} of job {record.job}: {record.state}; "
                      f"{record.rows_read} rows read, {record.rows_written} written, "
                      f"{record.error_records} error records; log {record.log_path}")
        if record.message:
            console.print(record.message, markup=False, highlight=False)
        console_line(ctx.obj.settings(), "jobs", "etl", record.id)
    if record.state != RunState.SUCCEEDED:
        raise typer.Exit(EtlError.exit_code)


@app.command("runs")
def runs(ctx: typer.Context, job: Annotated[str | None, typer.Option(help="One job only.")]
         = None, as_json: JsonOpt = False) -> None:
    """List job runs, newest first."""
    from sparkgrove.etl.runner import list_runs

    found = list_runs(_workspace(ctx), job)
    if as_json:
        emit_json(found)
        return
    table("ETL runs", ["id", "job", "state", "read", "written", "errors", "started", "message"],
          [(r.id, r.job, r.state, r.rows_read, r.rows_written, r.error_records, r.started_at,
            r.message[:60]) for r in found])


@bookmark_app.command("show")
def bookmark_show(ctx: typer.Context, job: str, as_json: JsonOpt = False) -> None:
    """Show what each transformation_ctx of JOB has processed."""
    from sparkgrove.store.bookmark_store import BookmarkStore

    found = BookmarkStore(_workspace(ctx).catalog.database).show(job)
    if as_json:
        emit_json(found)
        return
    table(f"Bookmarks of {job}", ["transformation_ctx", "files", "run", "updated"],
          [(b["transformation_ctx"], len(b["files"]), b["run_id"], b["updated_at"])
           for b in found])


@bookmark_app.command("reset")
def bookmark_reset(ctx: typer.Context, job: str) -> None:
    """Forget JOB's bookmarks, so its next run reads everything."""
    from sparkgrove.store.bookmark_store import BookmarkStore

    count = BookmarkStore(_workspace(ctx).catalog.database).reset(job)
    console.print(f"Reset {count} bookmark(s) of job {job}.")
