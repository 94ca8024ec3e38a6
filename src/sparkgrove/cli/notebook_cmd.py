"""``sparkgrove notebook``: JupyterLab on loopback, Zeppelin import, headless runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sparkgrove.cli.output import CliState, console, console_line, emit_json
from sparkgrove.errors import NotebookRunError
from sparkgrove.store.states import RunState

app = typer.Typer(help="Notebooks: JupyterLab with a sparkgrove kernel, Zeppelin import, "
                  "headless runs.", invoke_without_command=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


@app.callback()
def lab(ctx: typer.Context,
        port: Annotated[int | None, typer.Option(help="Port (default: a free one).")] = None,
        root: Annotated[Path, typer.Option(help="Folder of notebooks.")] = Path(".")) -> None:
    """Start JupyterLab on 127.0.0.1 with token authentication (Ctrl-C stops it)."""
    if ctx.invoked_subcommand is not None:
        return
    from sparkgrove.notebook.server import start_lab, supervise, token_file

    state: CliState = ctx.obj
    settings = state.settings()
    proc, url, token = start_lab(settings, root=root.resolve(), port=port)
    console.print(f"JupyterLab: {url}/lab?token={token}")
    console.print(f"(token kept in {token_file(settings)}; the kernel is 'sparkgrove (PySpark)')")
    supervise(proc)


@app.command("import")
def import_note(note: Annotated[Path, typer.Argument(
                    help="A Zeppelin note: .zpln, note.json (or its folder), exported .json.")],
                output: Annotated[Path | None, typer.Option("-o", "--output",
                                                            help="The .ipynb to write.")] = None,
                default_interpreter: Annotated[str | None, typer.Option(
                    help="Interpreter of paragraphs without a %-line (default: the note's "
                         "defaultInterpreterGroup, else Zeppelin's: spark, i.e. Scala).")] = None,
                as_json: JsonOpt = False) -> None:
    """Convert a Zeppelin note into a Jupyter notebook."""
    from sparkgrove.notebook.zeppelin import import_note as convert

    target, conversion = convert(note, output, default_interpreter=default_interpreter)
    if as_json:
        emit_json({"notebook": str(target), "warnings": conversion.warnings,
                   "parameters": conversion.parameters,
                   "forms": {k: f.to_dict() for k, f in conversion.forms.items()},
                   "skipped": conversion.skipped})
        return
    console.print(f"Wrote {target} ({len(conversion.notebook['cells'])} cells).")
    for warning in conversion.warnings:
        console.print(f"[yellow]warning: {warning}[/yellow]")
    if conversion.parameters:
        console.print(f"parameters: {conversion.parameters}")


@app.command("run")
def run(ctx: typer.Context,
        notebook: Annotated[Path, typer.Argument(help="The notebook to execute.")],
        parameter: Annotated[list[str] | None, typer.Option(
            "-p", "--parameter", help="NAME=VALUE (repeat).")] = None,
        timeout: Annotated[int, typer.Option(help="Seconds per cell.")] = 600,
        as_json: JsonOpt = False) -> None:
    """Execute a notebook headless with parameters; save the executed copy."""
    from sparkgrove.notebook.execute import parse_parameters, run_notebook

    state: CliState = ctx.obj
    record = run_notebook(state.settings(), notebook, parse_parameters(parameter or []),
                          timeout=timeout)
    if as_json:
        emit_json(record)
    else:
        console.print(f"{record.state}: {record.cells_run} of {record.code_cells} code cells "
                      f"ran; executed copy {record.executed}")
        if record.state == RunState.INCOMPLETE:
            console.print(f"incomplete: {record.error}", markup=False)
        if record.failed_cell is not None:
            console.print(f"cell {record.failed_cell} failed: {record.error}", markup=False)
            console.print("\n".join(record.traceback[-8:]), markup=False, highlight=False)
        console_line(state.settings(), "jobs", "notebooks", Path(record.executed).parent.name)
    if record.state != RunState.SUCCEEDED:
        raise typer.Exit(NotebookRunError.exit_code)
