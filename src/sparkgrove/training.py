"""Training a tree, forest or boosted trees on a catalog table: read, featurise, split, fit,
evaluate, register."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sparkgrove.catalog.api import Catalog
from sparkgrove.catalog.arrow_reader import read_table_arrow, supports
from sparkgrove.errors import ConfigError, DataError
from sparkgrove.names import check_model_name
from sparkgrove.spark import map_spark_errors, read_table, spark_version
from sparkgrove.staging import new_staging
from sparkgrove.store.entities import ColumnSpec, ModelVersion, TableInfo
from sparkgrove.trees.engine import make_learner
from sparkgrove.trees.evaluate import evaluate_predictions
from sparkgrove.trees.features import (
    MAX_CLASSES,
    FeaturePlan,
    choose_task,
    feature_kind,
    plan_features,
)
from sparkgrove.trees.inputs import MAX_CATEGORIES
from sparkgrove.trees.metrics import classification_metrics, regression_metrics
from sparkgrove.trees.mllib import LABEL_COL, WEIGHT_COL, fit_pipeline, index_label
from sparkgrove.trees.model import LabelSpec, TreeModel
from sparkgrove.trees.params import TreeParams
from sparkgrove.workspace import Workspace

ENGINES = ("auto", "local", "spark")
ALGORITHM_NAMES = {"tree": "decision tree", "forest": "random forest",
                   "gbt": "gradient-boosted trees"}
LOCAL_MEMORY_SHARE = 0.25
"""``auto`` trains locally when the table's float matrix needs at most this share of RAM."""
DEFAULT_TEST_FRACTION = 0.2
DEFAULT_SEED = 42
ProgressFn = Callable[[str], None]


@dataclass
class TrainResult:
    """What a training run produced."""

    model_version: ModelVersion
    tree_model: TreeModel
    metrics: dict[str, Any]
    counts: dict[str, int]
    importances: dict[str, float]
    skipped_features: list[tuple[str, str]] = field(default_factory=list)
    rejects_path: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return {
            "model": self.model_version.to_dict(),
            "metrics": self.metrics,
            "counts": self.counts,
            "feature_importances": self.importances,
            "skipped_features": [{"column": c, "reason": r} for c, r in self.skipped_features],
            "rejects_path": self.rejects_path,
            "notes": self.notes,
        }


def _label_text(value: Any) -> str:
    # As Spark casts labels to string (1.0 stays "1.0"), so the class map matches its rows.
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _sorted_classes(values: Sequence[Any]) -> tuple[str, ...]:
    texts = [_label_text(v) for v in values]
    try:
        return tuple(sorted(texts, key=float))
    except ValueError:
        return tuple(sorted(texts))


def train_table(
    workspace: Workspace,
    table_name: str,
    *,
    label: str,
    features: Sequence[str] | None = None,
    task: str | None = None,
    params: TreeParams | None = None,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    seed: int = DEFAULT_SEED,
    model_name: str | None = None,
    engine: str = "auto",
    progress: ProgressFn | None = None,
) -> TrainResult:
    """Train on ``db.table`` and register a new version of ``model_name``.

    Rows with a missing label are dropped and counted; malformed rows are counted and kept
    aside; numeric features' missing values are filled with the training rows' median; string
    and boolean columns are categorical, with unseen and missing categories sharing one bucket.
    """
    say = progress or (lambda _m: None)
    params = params or TreeParams(seed=seed)
    if params.seed is None:
        params = TreeParams(**{**params.to_dict(), "seed": seed})
    if engine not in ENGINES:
        raise ConfigError(f"The engine must be one of {', '.join(ENGINES)}; got {engine!r}.")
    if model_name is not None:
        check_model_name(model_name)  # before any data is read or fitted
    params.check_common()
    if task is not None and task in ("classification", "regression"):
        params.check(task)
    if not 0.0 < test_fraction < 1.0:
        raise ConfigError(f"--test-fraction must be between 0 and 1 (exclusive); got "
                          f"{test_fraction}.")
    catalog: Catalog = workspace.catalog
    table = catalog.table(table_name)
    label = catalog.resolve_columns(table, [label])[0]
    features = catalog.resolve_columns(table, features) if features else features
    if params.weight_col:
        weight_col = catalog.resolve_columns(table, [params.weight_col])[0]
        params = TreeParams(**{**params.to_dict(), "weight_col": weight_col})
        weight_spec = next(c for c in table.all_columns if c.name == weight_col)
        if feature_kind(weight_spec) != "numeric":
            raise DataError(f"The weight column {weight_col!r} of {table.qualified_name} has "
                            f"type {weight_spec.type}; weights must be numbers >= 0. Choose a "
                            "numeric column, or cast it in an ETL job.")
    plan = plan_features(table.all_columns, label, features, params.weight_col)
    label_spec = next(c for c in table.all_columns if c.name == label)
    if engine == "auto":
        # A parameter only one engine honours picks that engine.
        engine = next((e for e in ENGINES[1:] if params.unused(e) == [] and
                       params.unused(_other(e)) != []), None) or choose_engine(
            _estimated_rows(catalog, table), len(plan.features))
    if engine == "spark" and params.leaf_values != "gradient":
        raise ConfigError(f"leaf_values={params.leaf_values!r} is a local-engine option; MLlib's "
                          "GBT sets gradient leaves. Use --engine local, or drop "
                          "--leaf-values.")
    run = _Run(workspace, table, plan, label, label_spec, task, params, test_fraction, seed,
               model_name, say, [f"{line}; it has no effect" for line in params.unused(engine)])
    if engine == "local" and supports(table):
        return _train_in_process(run)
    with map_spark_errors(f"training on {table.qualified_name}"):
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
        _refuse_infinities(frame, table.qualified_name, [
            n for n, kind in plan.features if kind == "numeric"] + (
            [label] if feature_kind(label_spec) == "numeric" else []))
        labelled = frame.filter(usable)
        distinct = [r[0] for r in labelled.select(label_col).distinct().limit(MAX_CLASSES + 1)
                    .collect()]
        labelled_rows = labelled.count()
        if labelled_rows == 0:
            raise DataError(f"Every row of {table.qualified_name} lacks the label {label!r}; "
                            "choose a label column that has values.")
        task = _choose_task(run, len(distinct))
        classes = _sorted_classes(distinct) if task == "classification" else ()
        labelled = index_label(labelled, label, task, classes)
        train, test = labelled.randomSplit([1.0 - test_fraction, test_fraction], seed=seed)
        train = train.cache()
        train_rows, test_rows = train.count(), test.count()
        if test_rows == 0 or train_rows == 0:
            raise DataError(f"The split left {train_rows} training and {test_rows} test rows of "
                            f"{labelled_rows}; change --test-fraction or add data.")
        params, kept, notes = _fit_categories(train, plan.features, params)
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
            return _register(run, engine=engine, task=task, params=params, tree_model=tree_model,
                             metrics=metrics, counts=counts, mllib_dir=mllib_dir,
                             rejects_path=read.rejects_path, notes=notes,
                             reader={"reader": "spark", "spark_version": spark_version(spark),
                                     "spark_master": spark.sparkContext.master})
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
            frame.unpersist()
            train.unpersist()


@dataclass
class _Run:
    """What one training request resolved to, at the border: the table version and plan."""

    workspace: Workspace
    table: TableInfo
    plan: FeaturePlan
    label: str
    label_spec: ColumnSpec
    task: str | None
    params: TreeParams
    test_fraction: float
    seed: int
    model_name: str | None
    say: ProgressFn
    notes: list[str]
    """What the output says about the request (parameters the engine does not use)."""


def _other(engine: str) -> str:
    return "spark" if engine == "local" else "local"


def _choose_task(run: _Run, n_distinct: int) -> str:
    task = choose_task(run.label_spec, run.task, n_distinct)
    run.params.check(task)
    if run.params.algorithm == "gbt" and task == "classification" and n_distinct != 2:
        raise DataError(f"Gradient-boosted trees classify binary labels only, as MLlib's "
                        f"GBTClassifier does; {run.label!r} has {n_distinct} classes. Use "
                        "--algorithm forest or tree.")
    return task


def _register(run: _Run, *, engine: str, task: str, params: TreeParams, tree_model: TreeModel,
              metrics: dict[str, Any], counts: dict[str, int], mllib_dir: Any,
              rejects_path: str | None, notes: list[str], reader: dict[str, Any]
              ) -> TrainResult:
    """Record the fitted model as a new registry version, with its lineage."""
    table = run.table
    lineage = {"table": table.qualified_name, "table_version": table.version,
               "location": table.location, **counts,
               "trained_at": dt.datetime.now(dt.UTC).isoformat(), **reader}
    all_params = {"label": run.label, "task": task,
                  "features": [n for n, _ in run.plan.features],
                  "test_fraction": run.test_fraction, "seed": run.seed, **params.to_dict()}
    tree_model.metadata.update({"model_params": all_params})
    run.say("registering the model")
    version = run.workspace.registry.register(
        run.model_name or table.name, engine=engine, task=task, params=all_params,
        metrics=metrics, lineage=lineage, tree_model=tree_model, mllib_dir=mllib_dir)
    importances = dict(zip([n for n, _ in run.plan.features], tree_model.feature_importances,
                           strict=True))
    return TrainResult(version, tree_model, metrics, counts, importances,
                       list(run.plan.skipped), rejects_path, [*run.notes, *notes])


def _estimated_rows(catalog: Catalog, table: TableInfo) -> int:
    """Rows the crawler counted (the engine choice needs no read)."""
    try:
        return int(table.properties.get("recordCount", 0)) or sum(
            f.records for f in catalog.files(table.qualified_name))
    except (TypeError, ValueError):
        return sum(f.records for f in catalog.files(table.qualified_name))


def _train_in_process(run: _Run) -> TrainResult:
    """The local engine on the embedded default: read with Arrow, split, fit, evaluate and
    register, with no JVM started."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table, label, params = run.table, run.label, run.params
    run.say(f"reading {table.qualified_name} (in-process, no JVM)")
    read = read_table_arrow(run.workspace.catalog, table, rejects_label="train")
    names = [name for name, _ in run.plan.features]
    data = read.table
    total = data.num_rows
    if total == 0:
        raise DataError(f"Table {table.qualified_name} has no readable rows "
                        f"({read.malformed} malformed); crawl data into it first.")
    label_column = data.column(label)
    usable = pc.is_valid(label_column)
    if pa.types.is_floating(label_column.type):
        usable = pc.and_(usable, pc.invert(pc.fill_null(pc.is_nan(label_column), True)))
    labelled = data.filter(usable)
    labelled_rows = labelled.num_rows
    if labelled_rows == 0:
        raise DataError(f"Every row of {table.qualified_name} lacks the label {label!r}; "
                        "choose a label column that has values.")
    distinct = pc.unique(labelled.column(label)).to_pylist()
    task = _choose_task(run, min(len(distinct), MAX_CLASSES + 1))
    classes = _sorted_classes(distinct) if task == "classification" else ()
    if task == "classification":
        position = {text: i for i, text in enumerate(classes)}
        index_of = np.array([position[_label_text(v)] for v in distinct], dtype=np.int64)
        found = pc.index_in(labelled.column(label), value_set=pa.array(distinct)).to_numpy(
            zero_copy_only=False)
        y = index_of[found].astype(np.float64)
    else:
        y = labelled.column(label).cast(pa.float64()).to_numpy(zero_copy_only=False)
    is_test = np.random.default_rng(run.seed).random(labelled_rows) < run.test_fraction
    train_rows, test_rows = int((~is_test).sum()), int(is_test.sum())
    if test_rows == 0 or train_rows == 0:
        raise DataError(f"The split left {train_rows} training and {test_rows} test rows of "
                        f"{labelled_rows}; change --test-fraction or add data.")
    frame = labelled.select(names).to_pandas(strings_to_categorical=True)
    frame[LABEL_COL] = y
    if params.weight_col:
        frame[WEIGHT_COL] = labelled.column(params.weight_col).cast(pa.float64()).to_numpy(
            zero_copy_only=False)
    train, test = frame[~is_test], frame[is_test]
    counts_by_column = {}
    for name, kind in run.plan.features:
        column = train[name]
        counts_by_column[name] = int(column.nunique()) if kind == "categorical" else int(
            column.notna().sum())
    params, notes = _category_room(run.plan.features, counts_by_column, params)
    for note in notes:
        run.say(note)
    run.say(f"fitting a local {ALGORITHM_NAMES[params.algorithm]} ({task}, "
            f"maxDepth={params.max_depth})")
    tree_model, metrics = fit_local_frames(train, test, features=run.plan.features, label=label,
                                           task=task, classes=classes, params=params)
    counts = {"rows_read": total, "rows_malformed": read.malformed,
              "rows_missing_label": total - labelled_rows, "rows_train": train_rows,
              "rows_test": test_rows}
    return _register(run, engine="local", task=task, params=params, tree_model=tree_model,
                     metrics=metrics, counts=counts, mllib_dir=None,
                     rejects_path=read.rejects_path, notes=notes,
                     reader={"reader": "arrow", "spark_version": None, "spark_master": None})


def choose_engine(rows: int, n_features: int, memory: int | None = None) -> str:
    """``local`` when the float matrix fits comfortably in this machine's memory, else
    ``spark``."""
    if memory is None:
        try:
            memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            memory = 4 * 2**30
    needed = rows * (n_features + 2) * 8
    return "local" if needed <= LOCAL_MEMORY_SHARE * memory else "spark"


def fit_local(train: Any, test: Any, *, features: Sequence[tuple[str, str]], label: str,
              task: str, classes: tuple[str, ...], params: TreeParams
              ) -> tuple[TreeModel, dict[str, Any]]:
    """Train the local engine on Spark's split rows (collected through Arrow), evaluate it."""
    names = [name for name, _ in features]
    wanted = [*names, LABEL_COL] + ([WEIGHT_COL] if params.weight_col else [])
    return fit_local_frames(train.select(*[f"`{c}`" for c in wanted]).toPandas(),
                            test.select(*[f"`{c}`" for c in wanted]).toPandas(),
                            features=features, label=label, task=task, classes=classes,
                            params=params)


def fit_local_frames(train_pdf: Any, test_pdf: Any, *, features: Sequence[tuple[str, str]],
                     label: str, task: str, classes: tuple[str, ...], params: TreeParams
                     ) -> tuple[TreeModel, dict[str, Any]]:
    """Train the local engine on pandas frames holding the features, the label index (or
    value) in ``LABEL_COL`` and any weight in ``WEIGHT_COL``; evaluate on ``test_pdf``."""
    names = [name for name, _ in features]
    kwargs = params.local_params(task)
    kwargs["categorical_features"] = [n for n, kind in features if kind == "categorical"]
    estimator: Any = make_learner(params.algorithm, task, **kwargs)
    weight = train_pdf[WEIGHT_COL].to_numpy(dtype=np.float64) if params.weight_col else None
    estimator.fit(train_pdf[names], train_pdf[LABEL_COL].to_numpy(), sample_weight=weight)
    model: TreeModel = estimator.tree_model_
    test_weight = (test_pdf[WEIGHT_COL].to_numpy(dtype=np.float64) if params.weight_col
                   else None)
    if task == "classification":
        if model.ensemble == "mean":
            widen_classes(model, [int(c) for c in estimator.classes_], len(classes))
        model.label = LabelSpec(label, task, classes)
        y = test_pdf[LABEL_COL].to_numpy().astype(np.int64)
        metrics = classification_metrics(y, model.predict_proba(test_pdf), classes, test_weight)
    else:
        model.label = LabelSpec(label, task)
        metrics = regression_metrics(test_pdf[LABEL_COL].to_numpy(dtype=np.float64),
                                     model.predict(test_pdf).astype(np.float64), test_weight)
    return model, metrics


def widen_classes(model: TreeModel, fitted: list[int], n_classes: int) -> None:
    """Give leaf values a column per class, when some class had no training rows."""
    if fitted == list(range(n_classes)):
        return
    for tree in model.trees:
        full = np.zeros((tree.n_nodes, n_classes))
        full[:, fitted] = tree.value
        tree.value = full


def _fit_categories(train: Any, features: Sequence[tuple[str, str]], params: TreeParams
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
    params, notes = _category_room(features, counts, params)
    kept: dict[str, tuple[str, ...]] = {}
    for name, kind in features:
        if kind == "categorical" and counts[name] > MAX_CATEGORIES:
            column = F.col(f"`{name}`").cast("string")
            top = (train.where(column.isNotNull()).groupBy(column.alias("c")).count()
                   .orderBy(F.desc("count"), F.asc("c")).limit(MAX_CATEGORIES).collect())
            kept[name] = tuple(sorted(r["c"] for r in top))
    return params, kept, notes


def _category_room(features: Sequence[tuple[str, str]], counts: dict[str, int],
                   params: TreeParams) -> tuple[TreeParams, list[str]]:
    """From each column's distinct categories (or numeric values present): refuse empty numeric
    columns, and raise ``max_bins`` to hold the widest categorical column."""
    widest, widest_name = 0, ""
    notes: list[str] = []
    for name, kind in features:
        value = counts[name]
        if kind == "numeric" and value == 0:
            raise DataError(f"Column {name!r} has no values in the training rows; leave it out "
                            "with --features.")
        if kind != "categorical":
            continue
        if value > MAX_CATEGORIES:
            notes.append(f"column {name} has {value} categories: the {MAX_CATEGORIES} most "
                         "frequent keep their own index, the rest share the unseen-values one")
            value = MAX_CATEGORIES
        if value + 1 > widest:
            widest, widest_name = value + 1, name
    if widest > params.max_bins:
        notes.append(f"maxBins raised from {params.max_bins} to {widest} so that column "
                     f"{widest_name} keeps one bin per category (MLlib needs maxBins >= the "
                     "categories of every column)")
        params = TreeParams(**{**params.to_dict(), "max_bins": widest})
    return params, notes


def _refuse_infinities(frame: Any, table: str, columns: list[str]) -> None:
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
