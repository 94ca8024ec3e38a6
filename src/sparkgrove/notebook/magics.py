"""The ``sparkgrove`` kernel's start-up: ``spark``, ``catalog``, ``workspace`` and magics.

Loaded as an IPython extension (``%load_ext sparkgrove.notebook.magics``, done by the kernel).

* ``%%sql [--chart bar|line|pie|scatter --x COL --y COL] [--limit N]``: Spark SQL on catalog
  tables; the result is shown as a table, and as a chart with ``--chart``.
* ``%tables [DATABASE]``: the catalog's tables.
* ``%train ...`` and ``%predict ...``: the CLI's ``train`` and ``predict``, same options.
"""

from __future__ import annotations

import argparse
import io
import json
import shlex
from contextlib import redirect_stdout
from typing import Any

from sparkgrove.spark import register_tables

CHARTS = ("bar", "line", "pie", "scatter")
DEFAULT_LIMIT = 1000


def _sql_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="%%sql", add_help=False)
    parser.add_argument("--chart", choices=CHARTS)
    parser.add_argument("--x")
    parser.add_argument("--y")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT)
    parser.add_argument("--format", action="store_true",
                        help="substitute {name} with notebook variables (Zeppelin forms)")
    return parser


def draw_chart(frame: Any, kind: str, x: str | None, y: str | None) -> Any:
    """A matplotlib figure of ``frame`` (pandas)."""
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
    figure, axes = plt.subplots(figsize=(7, 4))
    if kind == "bar":
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


def _run_cli(args: list[str]) -> dict[str, Any]:
    from sparkgrove.cli.main import app

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        app([*args, "--json"], standalone_mode=False)
    data: dict[str, Any] = json.loads(buffer.getvalue())
    return data


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
            draw_chart(frame, options.chart, options.x, options.y).savefig(png, format="png")
            display(Image(data=png.getvalue(), format="png"))
        return frame

    @register_line_magic
    def tables(line: str) -> Any:
        import pandas as pd

        found = workspace.catalog.tables(line.strip() or None)
        return pd.DataFrame([{"table": t.qualified_name, "format": t.format,
                              "version": t.version,
                              "records": t.properties.get("recordCount")} for t in found])

    @register_line_magic
    def train(line: str) -> Any:
        result = _run_cli(["train", *shlex.split(line)])
        print(result.get("tree", ""))
        return {"model": f"{result['model']['name']}:{result['model']['version']}",
                "metrics": {k: v for k, v in result["metrics"].items()
                            if not isinstance(v, dict)}}

    @register_line_magic
    def predict(line: str) -> Any:
        return _run_cli(["predict", *shlex.split(line)])

    del sql, tables, train, predict
