"""``sparkgrove catalog``: databases, tables, versions and partitions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from sparkgrove.cli.output import CliState, console, emit_json, table

if TYPE_CHECKING:
    from sparkgrove.catalog.api import Catalog

app = typer.Typer(help="Look at the catalog: databases, tables, versions, partitions.",
                  no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
TableArg = Annotated[str, typer.Argument(metavar="DB.TABLE", help="A catalog table.")]


def _catalog(ctx: typer.Context) -> Catalog:
    """The workspace's catalog; opening the workspace finishes any publish a kill left."""
    from sparkgrove.workspace import Workspace

    state: CliState = ctx.obj
    return Workspace(state.settings()).catalog


@app.command()
def databases(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List databases."""
    found = _catalog(ctx).databases()
    if as_json:
        emit_json([{"name": d.name, "description": d.description,
                    "created_at": d.created_at.isoformat()} for d in found])
        return
    table("Databases", ["name", "created"], [(d.name, d.created_at) for d in found])


@app.command()
def tables(ctx: typer.Context,
           database: Annotated[str | None, typer.Argument(help="Only this database.")] = None,
           as_json: JsonOpt = False) -> None:
    """List tables."""
    found = _catalog(ctx).tables(database)
    if as_json:
        emit_json(found)
        return
    table("Tables", ["table", "format", "version", "records", "location"],
          [(t.qualified_name, t.format, t.version, t.properties.get("recordCount"), t.location)
           for t in found])


@app.command()
def drop(ctx: typer.Context, name: TableArg, as_json: JsonOpt = False) -> None:
    """Forget a table: its versions, partitions and file records. Its files stay where they are,
    as when a Glue table is deleted."""
    catalog = _catalog(ctx)
    info = catalog.table(name)
    catalog.drop_table(info.qualified_name)
    if as_json:
        emit_json({"dropped": [info.qualified_name], "data_kept_at": info.location})
        return
    console.print(f"Dropped {info.qualified_name}; its data stays at {info.location}.",
                  markup=False)


@app.command("drop-database")
def drop_database(ctx: typer.Context,
                  name: Annotated[str, typer.Argument(metavar="DB", help="A catalog database.")],
                  cascade: Annotated[bool, typer.Option(
                      help="Also drop its tables (their data stays).")] = False,
                  as_json: JsonOpt = False) -> None:
    """Forget a database; one with tables needs --cascade. No data is deleted."""
    dropped = _catalog(ctx).drop_database(name, cascade=cascade)
    if as_json:
        emit_json({"database": name.lower(), "dropped_tables": dropped})
        return
    console.print(f"Dropped database {name.lower()}" + (
        f" and {len(dropped)} table(s): {', '.join(dropped)}" if dropped else "") + ".",
        markup=False)


@app.command()
def show(ctx: typer.Context, name: TableArg,
         version: Annotated[int | None, typer.Option(help="A past version.")] = None,
         as_json: JsonOpt = False) -> None:
    """Show a table: location, format, columns, partition keys and properties."""
    info = _catalog(ctx).table(name, version)
    if as_json:
        emit_json(info)
        return
    console.print(f"[bold]{info.qualified_name}[/bold] version {info.version}, {info.format}, "
                  f"at {info.location}")
    table("Columns", ["column", "type", "partition key"],
          [(c.name, c.type, "") for c in info.columns] +
          [(c.name, c.type, "yes") for c in info.partition_keys])
    table("Properties", ["property", "value"], sorted(info.properties.items()))


@app.command()
def versions(ctx: typer.Context, name: TableArg, as_json: JsonOpt = False) -> None:
    """List a table's schema versions."""
    found = _catalog(ctx).versions(name)
    if as_json:
        emit_json(found)
        return
    table(f"Versions of {name}", ["version", "created", "columns"],
          [(v.version, v.created_at, ", ".join(f"{c.name} {c.type}" for c in v.columns))
           for v in found])


@app.command()
def partitions(ctx: typer.Context, name: TableArg, as_json: JsonOpt = False) -> None:
    """List a table's partitions."""
    found = _catalog(ctx).partitions(name)
    if as_json:
        emit_json(found)
        return
    table(f"Partitions of {name}", ["values", "location"],
          [("/".join(p.values), p.location) for p in found])
