"""``sparkgrove models``: registered models, their versions, metrics and lineage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sparkgrove.cli.output import CliState, console, emit_json, table
from sparkgrove.jsonable import to_jsonable

if TYPE_CHECKING:
    from sparkgrove.workspace import Workspace

app = typer.Typer(help="Registered models: list, show and alias.", no_args_is_help=True)
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
         ref: Annotated[str, typer.Argument(metavar="NAME[:VERSION|@ALIAS]",
                                            help="A model.")],
         tree: Annotated[bool, typer.Option(help="Print the tree.")] = False,
         as_json: JsonOpt = False) -> None:
    """Show a model version: parameters, metrics, lineage and artifacts."""
    from sparkgrove.trees.render import render_tree

    ws = _workspace(ctx)
    version = ws.registry.get(ref)
    aliases = ws.registry.aliases(version.name)
    if as_json:
        out = to_jsonable(version)
        out["versions"] = [v.version for v in ws.registry.versions(version.name)]
        out["aliases"] = {a: v for a, v in aliases.items() if v == version.version}
        out["model_aliases"] = aliases
        if tree:
            out["tree"] = render_tree(ws.registry.load_tree_model(version))
        emit_json(out)
        return
    console.print(f"[bold]{version.ref}[/bold] {version.task}, engine {version.engine}, "
                  f"created {version.created_at}")
    console.print(f"artifacts: {version.artifact_path}")
    here = [a for a, v in aliases.items() if v == version.version]
    if here:
        console.print(f"aliases: {', '.join(here)}", markup=False)
    table("Metrics", ["metric", "value"],
          [(k, json.dumps(v) if isinstance(v, dict) else v) for k, v in version.metrics.items()])
    table("Parameters", ["parameter", "value"], sorted(version.params.items()))
    table("Lineage", ["what", "value"], sorted(version.lineage.items()))
    if tree:
        console.print(render_tree(ws.registry.load_tree_model(version)), markup=False,
                      highlight=False)


@app.command()
def alias(ctx: typer.Context,
          name: Annotated[str, typer.Argument(help="A registered model.")],
          alias_name: Annotated[str, typer.Argument(metavar="ALIAS",
                                                    help="e.g. production, staging.")],
          version: Annotated[int | None, typer.Argument(
              help="The version the alias points at (moved if it pointed elsewhere).")] = None,
          delete: Annotated[bool, typer.Option("--delete", help="Remove the alias.")] = False,
          as_json: JsonOpt = False) -> None:
    """Point ALIAS of model NAME at VERSION (NAME@ALIAS then names it), or --delete it."""
    from sparkgrove.errors import ConfigError

    registry = _workspace(ctx).registry
    if delete == (version is not None):
        raise ConfigError("Give a VERSION to point the alias at, or --delete (not both).")
    if delete:
        registry.delete_alias(name, alias_name)
    else:
        assert version is not None
        registry.set_alias(name, alias_name, version)
    found = registry.aliases(name)
    if as_json:
        emit_json({"model": name, "aliases": found})
        return
    console.print(f"{name}@{alias_name} " + (f"-> version {version}" if not delete
                                              else "removed"), markup=False)


@app.command()
def export(ctx: typer.Context,
           ref: Annotated[str, typer.Argument(metavar="NAME[:VERSION|@ALIAS]",
                                              help="A model.")],
           output: Annotated[Path, typer.Option("-o", "--output",
                                                help="The file to write.")],
           fmt: Annotated[str, typer.Option(
               "--format", help="json: the portable TreeModel; onnx: ONNX with ai.onnx.ml "
                                "TreeEnsemble (onnxruntime); pmml: PMML 4.4.")] = "json",
           as_json: JsonOpt = False) -> None:
    """Write a model version to a file other systems (or sparkgrove elsewhere) load."""
    from sparkgrove.errors import ConfigError
    from sparkgrove.export import FORMATS, write_export

    if fmt not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}; got {fmt!r}.")
    ws = _workspace(ctx)
    version = ws.registry.get(ref)
    written = write_export(ws.registry.load_tree_model(version), fmt, output)
    if as_json:
        emit_json({"model": version.ref, "format": fmt, "path": str(written)})
        return
    console.print(f"Wrote {version.ref} as {fmt} to {written}", markup=False)
