"""The Spark engine's side of training: read with Spark, split, fit MLlib's pipeline (or the
local engine on Spark's split rows), evaluate with MLlib's evaluators."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from typing import Any

from sparkgrove.errors import DataError
from sparkgrove.spark import read_table, spark_version
from sparkgrove.staging import new_staging
from sparkgrove.training.evaluate import evaluate_predictions
from sparkgrove.training.features import MAX_CLASSES, feature_kind
from sparkgrove.training.local import fit_local
from sparkgrove.training.mllib_pipeline import LABEL_COL, WEIGHT_COL, fit_pipeline, index_label
from sparkgrove.training.run import (
    ALGORITHM_NAMES,
    Run,
    TrainResult,
    category_room,
    choose_run_task,
    register,
    sorted_classes,
)
from sparkgrove.trees.inputs import MAX_CATEGORIES
from sparkgrove.trees.params import TreeParams


def train_on_spark(run: Run, engine: str) -> TrainResult:
    """Read ``run.table`` with Spark and fit with MLlib (``engine="spark"``) or with the local
    engine on Spark's split rows (a table the Arrow reader cannot read)."""
    workspace, table, plan, label = run.workspace, run.table, run.plan, run.label
    label_spec, params, say = run.label_spec, run.params, run.say
    test_fraction, seed, catalog = run.test_fraction, run.seed, run.workspace.catalog
    from pyspark.sql import functions as F

    spark = workspace.spark
    say(f"reading {table.qualified_name}")
    read = read_table(spark, catalog, table, rejects_label="train")
    cols = [name for name, _ in plan.features] + [label]
    frame = read.frame.select(*[F.col(f"`{c}`") for c in cols] + (
        [F.col(f"`{params.weight_col}`").cast("double").alias(WEIGHT_COL)]
        if params.weight_col else []))
    label_col = F.col(f"`{label}`")
    usable = label_col.isNotNull()
    if label_spec.type in ("float", "double"):
        usable = usable & ~F.isnan(label_col)
    frame = frame.cache()
    total = frame.count()
    if total == 0:
        raise DataError(f"Table {table.qualified_name} has no readable rows "
                        f"({read.malformed} malformed); crawl data into it first.")
    refuse_infinities(frame, table.qualified_name, [
        n for n, kind in plan.features if kind == "numeric"] + (
        [label] if feature_kind(label_spec) == "numeric" else []))
    labelled = frame.filter(usable)
    distinct = [r[0] for r in labelled.select(label_col).distinct().limit(MAX_CLASSES + 1)
                .collect()]
    labelled_rows = labelled.count()
    if labelled_rows == 0:
        raise DataError(f"Every row of {table.qualified_name} lacks the label {label!r}; "
                        "choose a label column that has values.")
    task = choose_run_task(run, len(distinct))
    classes = sorted_classes(distinct) if task == "classification" else ()
    labelled = index_label(labelled, label, task, classes)
    train, test = labelled.randomSplit([1.0 - test_fraction, test_fraction], seed=seed)
    train = train.cache()
    train_rows, test_rows = train.count(), test.count()
    if test_rows == 0 or train_rows == 0:
        raise DataError(f"The split left {train_rows} training and {test_rows} test rows of "
                        f"{labelled_rows}; change --test-fraction or add data.")
    params, kept, notes = fit_categories(train, plan.features, params)
    for note in notes:
        say(note)

    workdir = new_staging(workspace.settings.staging, "train")
    try:
        if engine == "spark":
            say(f"fitting MLlib's {ALGORITHM_NAMES[params.algorithm]} ({task}, "
                f"maxDepth={params.max_depth})")
            fit = fit_pipeline(train, features=plan.features, label=label, task=task,
                               classes=classes, params=params, workdir=workdir / "mllib",
                               kept=kept)
            tree_model = fit.tree_model
            say("evaluating on the held-out rows")
            scored = fit.pipeline.transform(test)
            metrics = evaluate_predictions(scored, task=task, label_col=LABEL_COL,
                                           classes=classes,
                                           weight_col=WEIGHT_COL if params.weight_col else None)
            mllib_dir: Any = workdir / "mllib"
        else:
            say(f"fitting a local {ALGORITHM_NAMES[params.algorithm]} ({task}, "
                f"maxDepth={params.max_depth})")
            tree_model, metrics = fit_local(train, test, features=plan.features, label=label,
                                            task=task, classes=classes, params=params)
            mllib_dir = None
        counts = {"rows_read": total, "rows_malformed": read.malformed,
                  "rows_missing_label": total - labelled_rows, "rows_train": train_rows,
                  "rows_test": test_rows}
        return register(run, engine=engine, task=task, params=params, tree_model=tree_model,
                         metrics=metrics, counts=counts, mllib_dir=mllib_dir,
                         rejects_path=read.rejects_path, notes=notes,
                         reader={"reader": "spark", "spark_version": spark_version(spark),
                                 "spark_master": spark.sparkContext.master})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        frame.unpersist()
        train.unpersist()


def fit_categories(train: Any, features: Sequence[tuple[str, str]], params: TreeParams
                    ) -> tuple[TreeParams, dict[str, tuple[str, ...]], list[str]]:
    """Make room for every categorical column, as LightGBM and CatBoost do by default.

    MLlib needs ``maxBins`` >= the categories of every column (plus one for unseen values):
    ``maxBins`` is raised to cover them, for both engines alike, and the result says so. A
    column with more than ``MAX_CATEGORIES`` keeps its most frequent ones (ties by name); the
    others share the unseen-and-missing index. Empty numeric columns are refused.
    """
    from pyspark.sql import functions as F

    aggs = []
    for name, kind in features:
        column = F.col(f"`{name}`")
        aggs.append(F.countDistinct(column) if kind == "categorical" else F.count(column))
    row = train.agg(*aggs).collect()[0]
    counts = {name: int(value) for (name, _), value in zip(features, row, strict=True)}
    params, notes = category_room(features, counts, params)
    kept: dict[str, tuple[str, ...]] = {}
    for name, kind in features:
        if kind == "categorical" and counts[name] > MAX_CATEGORIES:
            column = F.col(f"`{name}`").cast("string")
            top = (train.where(column.isNotNull()).groupBy(column.alias("c")).count()
                   .orderBy(F.desc("count"), F.asc("c")).limit(MAX_CATEGORIES).collect())
            kept[name] = tuple(sorted(r["c"] for r in top))
    return params, kept, notes


def refuse_infinities(frame: Any, table: str, columns: list[str]) -> None:
    """MLlib refuses infinite vector values with a message that names no column; say which
    column and what to do, in the local engine's words, before any fitting."""
    from pyspark.sql import functions as F

    if not columns:
        return
    infinite = [float("inf"), float("-inf")]
    counts = frame.select(*[F.sum(F.col(f"`{c}`").isin(infinite).cast("long")).alias(f"c{i}")
                            for i, c in enumerate(columns)]).first()
    for i, name in enumerate(columns):
        if counts is not None and counts[f"c{i}"]:
            raise DataError(f"Input X contains infinity in column {name!r} "
                            f"({counts[f'c{i}']} row(s) of {table}); replace infinite values "
                            "with finite ones or NaN (missing).")
