"""The ``sparkgrove`` kernel's start-up: ``spark``, ``catalog``, ``workspace`` and magics.

Loaded as an IPython extension (``%load_ext sparkgrove.notebook.magics``, done by the kernel).

* ``%%sql [--chart bar|line|pie|scatter|area --x COL --y COL [--aggr sum|count|avg|min|max]]
  [--limit N]``: Spark SQL on catalog tables; the result is shown as a table, and as a chart
  with ``--chart`` (values of rows sharing an x aggregated as Zeppelin's charts do).
* ``%zeppelin``: Zeppelin's names (``z``, ``sc``, ``sqlContext``, ``sqlc``) and display system,
  for notebooks converted from Zeppelin notes.
* ``%%spark_conf``: Zeppelin's ``%spark.conf`` paragraph (``key value`` lines).
* ``%tables [DATABASE]``: the catalog's tables.
* ``%train ...`` and ``%predict ...``: the CLI's ``train`` and ``predict`` options, calling
  :func:`~sparkgrove.training.train_table` and :func:`~sparkgrove.predict.predict_table`.
"""

from __future__ import annotations

import argparse
import io
import shlex
from typing import Any, NoReturn

from sparkgrove.spark import register_tables

CHARTS = ("bar", "line", "pie", "scatter", "area")
AGGREGATIONS = {"sum": "sum", "count": "count", "avg": "mean", "min": "min", "max": "max"}
DEFAULT_LIMIT = 1000


def _sql_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="%%sql", add_help=False)
    parser.add_argument("--chart", choices=CHARTS)
    parser.add_argument("--x")
    parser.add_argument("--y")
    parser.add_argument("--aggr", choices=tuple(AGGREGATIONS))
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT)
    parser.add_argument("--format", action="store_true",
                        help="substitute {name} with notebook variables (Zeppelin forms)")
    return parser


def draw_chart(frame: Any, kind: str, x: str | None, y: str | None,
               aggr: str | None = None) -> Any:
    """A matplotlib figure of ``frame`` (pandas); with ``aggr``, ``y`` aggregated by ``x``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sparkgrove.errors import ConfigError

    columns = list(frame.columns)
    x = x or columns[0]
    y = y or (columns[1] if len(columns) > 1 else columns[0])
    for name in (x, y):
        if name not in columns:
            raise ConfigError(f"--x/--y name {name!r}, which is not a result column; columns: "
                              f"{', '.join(columns)}.")
    if aggr is not None:
        frame = frame.groupby(x, sort=True, as_index=False)[y].agg(AGGREGATIONS[aggr])
    figure, axes = plt.subplots(figsize=(7, 4))
    if kind == "area":
        axes.fill_between(range(len(frame)), frame[y].astype(float))
        axes.set_xticks(range(len(frame)), frame[x].astype(str))
    elif kind == "bar":
        axes.bar(frame[x].astype(str), frame[y])
    elif kind == "line":
        axes.plot(frame[x], frame[y], marker="o")
    elif kind == "scatter":
        axes.scatter(frame[x], frame[y])
    else:
        axes.pie(frame[y], labels=frame[x].astype(str), autopct="%1.0f%%")
    if kind != "pie":
        axes.set_xlabel(x)
        axes.set_ylabel(y)
    axes.set_title(f"{y} by {x}")
    figure.tight_layout()
    plt.close(figure)
    return figure


def connect_session(workspace: Any) -> Any:
    """A Spark Connect session on the workspace's cluster, when it runs a Connect server."""
    settings = workspace.settings
    if not settings.cluster:
        return None
    from pyspark.sql import SparkSession

    from sparkgrove.cluster.manager import ClusterManager

    url = ClusterManager(settings, workspace.catalog.database).connect_url(settings.cluster)
    if url is None:
        return None
    spark = SparkSession.builder.remote(url).getOrCreate()
    register_tables(spark, workspace.catalog)
    return spark


class _MagicParser(argparse.ArgumentParser):
    """argparse that raises our ConfigError (one clear line in the cell) instead of exiting."""

    def error(self, message: str) -> NoReturn:
        from sparkgrove.errors import ConfigError

        raise ConfigError(f"%{self.prog}: {message}")


def train_parser() -> argparse.ArgumentParser:
    """``%train DB.TABLE --label L [...]``: the CLI's ``train`` options, the tree parameters
    generated from their one declaration (:data:`sparkgrove.trees.params.SPECS`)."""
    from sparkgrove.trees.params import SPECS

    parser = _MagicParser(prog="train", add_help=False)
    parser.add_argument("table")
    parser.add_argument("--label", required=True)
    parser.add_argument("--features", action="append")
    parser.add_argument("--task")
    parser.add_argument("--model")
    parser.add_argument("--engine", default="auto")
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=42)
    for spec in SPECS:
        if spec.name == "seed":
            continue
        flag = "--" + spec.name.replace("_", "-")
        if spec.type is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=spec.default)
        else:
            parser.add_argument(flag, type=spec.type, default=spec.default)
    return parser


def run_train(workspace: Any, line: str) -> Any:
    """``%train``: :func:`sparkgrove.training.train_table` with the line's options."""
    from sparkgrove.training import train_table
    from sparkgrove.trees.params import SPECS, TreeParams

    given = vars(train_parser().parse_args(shlex.split(line)))
    features = [f.strip() for item in given["features"] or [] for f in item.split(",")
                if f.strip()] or None
    params = TreeParams(**{spec.name: given[spec.name] for spec in SPECS if spec.name != "seed"})
    return train_table(workspace, given["table"], label=given["label"], features=features,
                       task=given["task"], params=params, test_fraction=given["test_fraction"],
                       seed=given["seed"], model_name=given["model"], engine=given["engine"])


def run_predict(workspace: Any, line: str) -> Any:
    """``%predict NAME[:VERSION] DB.TABLE --output DB.NEW_TABLE [--engine E]``."""
    from sparkgrove.predict import predict_table

    parser = _MagicParser(prog="predict", add_help=False)
    parser.add_argument("model")
    parser.add_argument("table")
    parser.add_argument("--output", required=True)
    parser.add_argument("--engine", default="auto")
    given = parser.parse_args(shlex.split(line))
    return predict_table(workspace, given.model, given.table, given.output, engine=given.engine)


def load_ipython_extension(ipython: Any) -> None:
    """Start the workspace's Spark session and register the magics."""
    from IPython.core.magic import register_cell_magic, register_line_magic
    from IPython.display import Image, display

    from sparkgrove.workspace import Workspace

    workspace = Workspace.open()
    spark = connect_session(workspace) or workspace.spark
    ipython.push({"spark": spark, "catalog": workspace.catalog, "workspace": workspace})

    @register_cell_magic
    def sql(line: str, cell: str) -> Any:
        options = _sql_parser().parse_args(shlex.split(line))
        register_tables(spark, workspace.catalog)
        if options.format:
            values = {k: v for k, v in ipython.user_ns.items()
                      if isinstance(v, str | int | float) and not k.startswith("_")}
            cell = cell.format_map(values)
        frame = spark.sql(cell).limit(options.limit).toPandas()
        if options.chart:
            png = io.BytesIO()
            draw_chart(frame, options.chart, options.x, options.y, options.aggr).savefig(
                png, format="png")
            display(Image(data=png.getvalue(), format="png"))
        return frame

    @register_line_magic
    def zeppelin(line: str) -> None:
        from sparkgrove.notebook.zcontext import DisplaySystem, ZeppelinContext

        if "z" in ipython.user_ns and isinstance(ipython.user_ns["z"], ZeppelinContext):
            return
        z = ZeppelinContext(ipython.user_ns)
        names: dict[str, Any] = {"z": z, "sqlc": spark, "sqlContext": spark}
        if hasattr(spark, "sparkContext") and not _is_connect(spark):
            from pyspark.sql import SQLContext

            names["sc"] = spark.sparkContext
            names["sqlContext"] = names["sqlc"] = SQLContext(spark.sparkContext, spark)
        ipython.push(names)
        shown = DisplaySystem(z)
        ipython.events.register("pre_run_cell", shown.before)
        ipython.events.register("post_run_cell", shown.after)

    @register_cell_magic
    def spark_conf(line: str, cell: str) -> None:
        applied, fixed = apply_spark_conf(spark, cell)
        for key in applied:
            print(f"set {key}")
        for key, why in fixed:
            print(f"not set {key}: {why}")

    @register_line_magic
    def tables(line: str) -> Any:
        import pandas as pd

        found = workspace.catalog.tables(line.strip() or None)
        return pd.DataFrame([{"table": t.qualified_name, "format": t.format,
                              "version": t.version,
                              "records": t.properties.get("recordCount")} for t in found])

    @register_line_magic
    def train(line: str) -> Any:
        from sparkgrove.trees.render import render_tree

        result = run_train(workspace, line)
        print(render_tree(result.tree_model))
        for note in result.notes:
            print(f"note: {note}")
        return {"model": result.model_version.ref,
                "metrics": {k: v for k, v in result.metrics.items() if not isinstance(v, dict)}}

    @register_line_magic
    def predict(line: str) -> Any:
        return run_predict(workspace, line).to_dict()

    del sql, tables, train, predict, zeppelin, spark_conf


def _is_connect(spark: Any) -> bool:
    return type(spark).__module__.startswith("pyspark.sql.connect")


def parse_conf(text: str) -> list[tuple[str, str]]:
    """``key value`` lines of a Zeppelin ``%spark.conf`` paragraph (``#`` starts a comment)."""
    pairs: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, _, value = stripped.partition(" ") if " " in stripped else stripped.partition("\t")
        if not value.strip():
            from sparkgrove.errors import ConfigError

            raise ConfigError(f"%spark.conf line {number}: {stripped!r} is not 'key value'.")
        pairs.append((key.strip(), value.strip()))
    return pairs


def apply_spark_conf(spark: Any, text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Set each property the running session can take; list the ones fixed at start-up (as
    Zeppelin applies ``%spark.conf`` before the interpreter starts, they belong in the
    cluster's ``spark-defaults`` here)."""
    applied: list[str] = []
    fixed: list[tuple[str, str]] = []
    for key, value in parse_conf(text):
        try:
            spark.conf.set(key, value)
        except Exception:  # Spark refuses static and core settings on a running session
            if spark.conf.get(key, None) == value:
                applied.append(key)
                continue
            fixed.append((key, "fixed when the session starts; set it in the cluster spec's "
                               "spark-defaults (or sparkgrove.toml [spark])"))
            continue
        applied.append(key)
    return applied, fixed
