"""``sparkgrove models``: registered models, their versions, metrics and lineage."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from sparkgrove.cli.output import CliState, console, emit_json, table
from sparkgrove.jsonable import to_jsonable

if TYPE_CHECKING:
    from sparkgrove.workspace import Workspace

app = typer.Typer(help="Registered models: list and show.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _workspace(ctx: typer.Context) -> Workspace:
    from sparkgrove.workspace import Workspace

    state: CliState = ctx.obj
    return Workspace(state.settings())


def _headline(metrics: dict[str, object]) -> str:
    for key in ("accuracy", "rmse"):
        value = metrics.get(key)
        if isinstance(value, float):
            return f"{key} {value:.4f}"
    return ""


@app.command("list")
def list_models(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List models with their newest version."""
    found = _workspace(ctx).registry.list_models()
    if as_json:
        emit_json(found)
        return
    table("Models", ["model", "latest", "task", "engine", "metric", "table", "created"],
          [(m.name, m.version, m.task, m.engine, _headline(m.metrics), m.lineage.get("table"),
            m.created_at) for m in found])


@app.command()
def show(ctx: typer.Context,
         ref: Annotated[str, typer.Argument(metavar="NAME[:VERSION]", help="A model.")],
         tree: Annotated[bool, typer.Option(help="Print the tree.")] = False,
         as_json: JsonOpt = False) -> None:
    """Show a model version: parameters, metrics, lineage and artifacts."""
    from sparkgrove.trees.render import render_tree

    ws = _workspace(ctx)
    version = ws.registry.get(ref)
    if as_json:
        out = to_jsonable(version)
        out["versions"] = [v.version for v in ws.registry.versions(version.name)]
        if tree:
            out["tree"] = render_tree(ws.registry.load_tree_model(version))
        emit_json(out)
        return
    console.print(f"[bold]{version.ref}[/bold] {version.task}, engine {version.engine}, "
                  f"created {version.created_at}")
    console.print(f"artifacts: {version.artifact_path}")
    table("Metrics", ["metric", "value"],
          [(k, json.dumps(v) if isinstance(v, dict) else v) for k, v in version.metrics.items()])
    table("Parameters", ["parameter", "value"], sorted(version.params.items()))
    table("Lineage", ["what", "value"], sorted(version.lineage.items()))
    if tree:
        console.print(render_tree(ws.registry.load_tree_model(version)), markup=False,
                      highlight=False)
