"""``sparkgrove``: crawl, catalog, train, models, predict and demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from sparkgrove.cli import (
    catalog_cmd,
    cluster_cmd,
    console_cmd,
    etl_cmd,
    models_cmd,
    notebook_cmd,
    serve_cmd,
)
from sparkgrove.cli.output import (
    CliState,
    console,
    console_line,
    emit_json,
    err_console,
    progress,
    table,
)
from sparkgrove.errors import SparkError, SparkgroveError
from sparkgrove.jsonable import to_jsonable
from sparkgrove.trees.params import SPEC, SPECS

if TYPE_CHECKING:
    from sparkgrove.workspace import Workspace

app = typer.Typer(
    name="sparkgrove",
    help="A self-hosted workbench for machine learning on Spark: crawl files into a catalog, "
         "train decision trees, keep models, score tables.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(catalog_cmd.app, name="catalog")
app.add_typer(cluster_cmd.app, name="cluster")
app.add_typer(cluster_cmd.step_app, name="step")
app.add_typer(etl_cmd.app, name="etl")
app.add_typer(notebook_cmd.app, name="notebook")
app.add_typer(models_cmd.app, name="models")
app.command("serve")(serve_cmd.serve)
app.command("console")(console_cmd.console)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
_D = {spec.name: spec.default for spec in SPECS}
"""The tree parameters' defaults, from their one declaration."""


def _opt(name: str) -> Any:
    """The ``train`` option of tree parameter ``name``, with its declared help."""
    return typer.Option(help=SPEC[name].help)



@app.callback()
def main(
    ctx: typer.Context,
    workspace: Annotated[str | None, typer.Option(
        help="Workspace folder (default ./sparkgrove-workspace; env SPARKGROVE_WORKSPACE).")] = None,
    catalog_url: Annotated[str | None, typer.Option(
        help="Catalog database URL (default SQLite in the workspace; env "
             "SPARKGROVE_CATALOG_URL).")] = None,
    master: Annotated[str | None, typer.Option(
        help="Spark master URL (default local[*]; env SPARKGROVE_SPARK_MASTER).")] = None,
    cluster: Annotated[str | None, typer.Option(
        help="Run Spark work on this sparkgrove cluster (env SPARKGROVE_CLUSTER).")] = None,
    spark_conf: Annotated[str | None, typer.Option(
        help="A Spark properties file (as spark-defaults.conf) for a cluster sparkgrove did not "
             "start: its secret and settings reach every driver (env SPARKGROVE_SPARK_CONF; "
             "mode 600 when it holds a secret).")] = None,
    debug: Annotated[bool, typer.Option(
        help="On an error, print the traceback (and Spark's Java cause) too.")] = False,
) -> None:
    """Options shared by every command; flags win over environment and sparkgrove.toml."""
    ctx.obj = CliState(workspace, catalog_url, master, cluster, debug, spark_conf)
    _DEBUG[0] = debug


def open_workspace(ctx: typer.Context) -> Workspace:
    """The workspace named by the global options."""
    from sparkgrove.workspace import Workspace

    state: CliState = ctx.obj
    return Workspace(state.settings())


@app.command()
def crawl(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Folder or file of CSV, JSON-lines or Parquet data.")],
    database: Annotated[str, typer.Option("--database", "-d", help="Catalog database.")],
    table_name: Annotated[str | None, typer.Option(
        "--table", "-t", help="Table name (default: the folder's name).")] = None,
    schema_change_policy: Annotated[str, typer.Option(
        help="On a changed schema: 'update' makes a new table version, 'log' keeps the table "
             "and reports the change.")] = "update",
    replace: Annotated[bool, typer.Option(
        help="Let --table name a table that holds another path: it then holds PATH alone.")]
    = False,
    as_json: JsonOpt = False,
) -> None:
    """Find datasets under PATH, infer their schemas and register tables and partitions."""
    ws = open_workspace(ctx)
    with progress(not as_json) as say:
        report = ws.catalog.crawl(path, database, table=table_name, policy=schema_change_policy,
                                  replace=replace, progress=say)
    if as_json:
        emit_json(report)
        return
    table("Tables", ["table", "version", "format", "columns", "partition keys", "records"],
          [(t.qualified_name, t.version, t.format, len(t.columns),
            ", ".join(c.name for c in t.partition_keys), t.properties.get("recordCount"))
           for t in report.tables])
    console.print(f"{report.new_files} new file(s), {report.unchanged_files} unchanged, "
                  f"{report.new_partitions} new partition(s), {report.records} records.")
    if report.malformed:
        console.print(f"[yellow]{report.malformed} malformed record(s) kept aside in "
                      f"{escape(', '.join(report.rejects_files))}[/yellow]")
    for change in report.schema_changes:
        verb = "new version made" if change.applied else "logged, table kept"
        console.print(escape(f"schema change in {change.table} ({verb}): added "
                             f"{list(change.added)}, removed {list(change.removed)}, retyped "
                             f"{[list(r) for r in change.retyped]}"), style="yellow")
    for problem in report.problems:
        console.print(f"[red]not cataloged: {escape(problem.path)}: {escape(problem.reason)}"
                      "[/red]")


def _split_features(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


@app.command()
def train(
    ctx: typer.Context,
    table_name: Annotated[str, typer.Argument(metavar="DB.TABLE", help="Catalog table.")],
    label: Annotated[str, typer.Option(help="Label column.")],
    features: Annotated[list[str] | None, typer.Option(
        help="Feature columns (repeat, or comma-separated). Default: every usable column.")
    ] = None,
    task: Annotated[str | None, typer.Option(
        help="classification or regression (default: from the label's type).")] = None,
    model: Annotated[str | None, typer.Option(help="Model name (default: the table's).")] = None,
    engine: Annotated[str, typer.Option(
        help="local (sparkgrove's in-process engine), spark (MLlib), or auto (local when the "
             "table fits comfortably in memory).")] = "auto",
    algorithm: Annotated[str, _opt("algorithm")] = _D["algorithm"],
    max_depth: Annotated[int, _opt("max_depth")] = _D["max_depth"],
    max_bins: Annotated[int, _opt("max_bins")] = _D["max_bins"],
    impurity: Annotated[str | None, _opt("impurity")] = _D["impurity"],
    min_instances_per_node: Annotated[int, _opt("min_instances_per_node")] = _D["min_instances_per_node"],
    min_info_gain: Annotated[float, _opt("min_info_gain")] = _D["min_info_gain"],
    min_weight_fraction_per_node: Annotated[float, _opt("min_weight_fraction_per_node")] = (
        _D["min_weight_fraction_per_node"]),
    weight_col: Annotated[str | None, _opt("weight_col")] = _D["weight_col"],
    max_memory_in_mb: Annotated[int, _opt("max_memory_in_mb")] = _D["max_memory_in_mb"],
    cache_node_ids: Annotated[bool, _opt("cache_node_ids")] = _D["cache_node_ids"],
    checkpoint_interval: Annotated[int, _opt("checkpoint_interval")] = _D["checkpoint_interval"],
    num_trees: Annotated[int, _opt("num_trees")] = _D["num_trees"],
    feature_subset_strategy: Annotated[str, _opt("feature_subset_strategy")] = _D["feature_subset_strategy"],
    subsampling_rate: Annotated[float, _opt("subsampling_rate")] = _D["subsampling_rate"],
    max_iter: Annotated[int, _opt("max_iter")] = _D["max_iter"],
    step_size: Annotated[float, _opt("step_size")] = _D["step_size"],
    loss: Annotated[str | None, _opt("loss")] = _D["loss"],
    leaf_values: Annotated[str, _opt("leaf_values")] = _D["leaf_values"],
    test_fraction: Annotated[float, typer.Option(help="Share of rows held out.")] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the split and of MLlib.")] = 42,
    show_tree: Annotated[bool, typer.Option(help="Print the tree.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Train a decision tree, random forest or gradient-boosted trees on a catalog table,
    evaluate on held-out rows and register a model version."""
    from sparkgrove.training import train_table
    from sparkgrove.trees.params import TreeParams
    from sparkgrove.trees.render import render_tree

    params = TreeParams(max_depth=max_depth, max_bins=max_bins, impurity=impurity,
                        min_instances_per_node=min_instances_per_node,
                        min_info_gain=min_info_gain,
                        min_weight_fraction_per_node=min_weight_fraction_per_node, seed=seed,
                        weight_col=weight_col, max_memory_in_mb=max_memory_in_mb,
                        cache_node_ids=cache_node_ids, checkpoint_interval=checkpoint_interval,
                        algorithm=algorithm, num_trees=num_trees,
                        feature_subset_strategy=feature_subset_strategy,
                        subsampling_rate=subsampling_rate, max_iter=max_iter,
                        step_size=step_size, loss=loss, leaf_values=leaf_values)
    ws = open_workspace(ctx)
    with progress(not as_json) as say:
        result = train_table(ws, table_name, label=label, features=_split_features(features),
                             task=task, params=params, test_fraction=test_fraction, seed=seed,
                             model_name=model, engine=engine, progress=say)
    if as_json:
        out = to_jsonable(result)
        out["tree"] = render_tree(result.tree_model)
        emit_json(out)
        return
    print_train_result(result, show_tree)
    console_line(ws.settings, "models", result.model_version.name, result.model_version.version)


def print_train_result(result: object, show_tree: bool = True) -> None:
    """Human-readable summary of a training run."""
    from sparkgrove.training import TrainResult
    from sparkgrove.trees.render import render_tree

    assert isinstance(result, TrainResult)
    mv = result.model_version
    console.print(f"[bold]Registered {mv.ref}[/bold] ({mv.task}, engine {mv.engine}) "
                  f"at {mv.artifact_path}")
    c = result.counts
    console.print(f"rows: {c['rows_read']} read, {c['rows_malformed']} malformed (kept aside), "
                  f"{c['rows_missing_label']} without a label (dropped), {c['rows_train']} "
                  f"train, {c['rows_test']} test")
    if result.rejects_path:
        console.print(f"malformed rows kept in {result.rejects_path}")
    for name, reason in result.skipped_features:
        console.print(f"[yellow]column {name} not used: {reason}[/yellow]")
    for note in result.notes:
        console.print(f"note: {note}", markup=False)
    scalar = {k: v for k, v in result.metrics.items() if not isinstance(v, dict)}
    table("Held-out metrics", ["metric", "value"],
          [(k, f"{v:.4f}" if isinstance(v, float) else v) for k, v in scalar.items()])
    confusion = result.metrics.get("confusion_matrix")
    if confusion:
        classes = confusion["classes"]
        table("Confusion matrix (rows: true, columns: predicted)", ["", *classes],
              [(cls, *row) for cls, row in zip(classes, confusion["matrix"], strict=True)])
    ranked = sorted(result.importances.items(), key=lambda kv: -kv[1])
    table("Feature importances", ["column", "importance"], [(k, f"{v:.4f}") for k, v in ranked])
    if show_tree:
        console.print("[bold]Tree[/bold]")
        console.print(render_tree(result.tree_model), markup=False, highlight=False)


@app.command()
def predict(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(metavar="NAME[:VERSION]", help="Registered model.")],
    table_name: Annotated[str, typer.Argument(metavar="DB.TABLE", help="Table to score.")],
    output: Annotated[str, typer.Option(metavar="DB.NEW_TABLE", help="New table to write.")],
    engine: Annotated[str, typer.Option(
        help="local (in-process with Arrow, no JVM), spark (on Spark), or auto (local when the "
             "table fits comfortably in memory).")] = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Score a catalog table into a new table (written whole or not at all)."""
    from sparkgrove.predict import predict_table

    ws = open_workspace(ctx)
    with progress(not as_json) as say:
        say(f"scoring {table_name} with {model}")
        result = predict_table(ws, model, table_name, output, engine=engine)
    if as_json:
        emit_json(result)
        return
    console.print(f"Wrote {result.rows} scored rows to {result.table.qualified_name} "
                  f"({result.table.location}) with {result.model}.")
    if result.malformed:
        console.print(f"[yellow]{result.malformed} malformed input row(s) kept aside[/yellow]")


@app.command()
def demo(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Run the whole story on the Palmer penguins data: crawl, train, register, score."""
    from sparkgrove.demo import run_demo

    ws = open_workspace(ctx)
    with progress(not as_json) as say:
        result = run_demo(ws, say)
    assert result.train is not None and result.predict is not None
    if as_json:
        emit_json({"crawls": result.crawls,
                   "etl": result.etl,
                   "train": result.train, "predict": result.predict,
                   "sample": result.sample})
        return
    for report in result.crawls:
        for t in report.tables:
            console.print(f"Crawled {t.qualified_name}: {t.properties.get('recordCount')} "
                          f"records, {len(t.partition_keys)} partition key(s), "
                          f"{report.malformed} malformed line(s) kept aside")
    if result.etl is not None:
        console.print(f"ETL job {result.etl.job} (run {result.etl.id}): {result.etl.state}, "
                      f"{result.etl.rows_read} rows read, {result.etl.rows_written} written to "
                      f"demo.penguins_clean and demo.new_penguins_clean, "
                      f"{result.etl.error_records} error record(s) kept aside")
    print_train_result(result.train)
    table(f"Scored new arrivals ({result.predict.table.qualified_name}, first rows)",
          ["tag", "island", "sex", "predicted species"],
          [(r["tag"], r["island"], r["sex"], r["prediction"]) for r in result.sample])
    s = ws.settings
    console.print(f"\nWhere things are:\n  workspace  {s.workspace}\n  raw data   "
                  f"{result.raw_dir}\n  catalog    {s.catalog_url}\n  model      "
                  f"{result.train.model_version.artifact_path}\n  scores     "
                  f"{result.predict.table.location}\n  rejects    {s.rejects}")
    console.print("Next: sparkgrove catalog tables demo; sparkgrove models show "
                  f"{result.train.model_version.ref}; sparkgrove console (all of it in a "
                  "browser)")


_DEBUG = [False]
"""Whether ``--debug`` was given (set by the callback, read by :func:`run`)."""


def run() -> None:
    """Console entry point: our errors become one line on stderr and the exit code of their
    class; a Spark failure that reached here unmapped becomes a :class:`SparkError`."""
    try:
        app(prog_name="sparkgrove")
    except Exception as exc:
        from sparkgrove.spark import from_spark, spark_error_text

        if isinstance(exc, SparkgroveError):
            error = exc
        elif from_spark(exc):
            error = SparkError(f"Spark failed: {spark_error_text(exc)}")
        else:
            raise
        if _DEBUG[0]:
            err_console.print_exception(show_locals=False)
        err_console.print(f"error: {error}", markup=False, highlight=False)
        sys.exit(error.exit_code)


if __name__ == "__main__":
    run()
