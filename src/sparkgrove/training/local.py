"""The local engine's adapter: a table read with Arrow (no JVM), split, fitted with
sparkgrove's own learners and evaluated; also fitting them on rows Spark split."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sparkgrove.catalog.arrow_reader import read_table_arrow
from sparkgrove.errors import DataError
from sparkgrove.training.features import MAX_CLASSES
from sparkgrove.training.mllib_pipeline import LABEL_COL, WEIGHT_COL
from sparkgrove.training.run import (
    ALGORITHM_NAMES,
    Run,
    TrainResult,
    category_room,
    choose_run_task,
    label_text,
    register,
    sorted_classes,
)
from sparkgrove.trees.engine import make_learner
from sparkgrove.trees.metrics import classification_metrics, regression_metrics
from sparkgrove.trees.model import LabelSpec, TreeModel
from sparkgrove.trees.params import TreeParams


def train_in_process(run: Run) -> TrainResult:
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
    task = choose_run_task(run, min(len(distinct), MAX_CLASSES + 1))
    classes = sorted_classes(distinct) if task == "classification" else ()
    if task == "classification":
        position = {text: i for i, text in enumerate(classes)}
        index_of = np.array([position[label_text(v)] for v in distinct], dtype=np.int64)
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
    params, notes = category_room(run.plan.features, counts_by_column, params)
    for note in notes:
        run.say(note)
    run.say(f"fitting a local {ALGORITHM_NAMES[params.algorithm]} ({task}, "
            f"maxDepth={params.max_depth})")
    tree_model, metrics = fit_local_frames(train, test, features=run.plan.features, label=label,
                                           task=task, classes=classes, params=params)
    counts = {"rows_read": total, "rows_malformed": read.malformed,
              "rows_missing_label": total - labelled_rows, "rows_train": train_rows,
              "rows_test": test_rows}
    return register(run, engine="local", task=task, params=params, tree_model=tree_model,
                     metrics=metrics, counts=counts, mllib_dir=None,
                     rejects_path=read.rejects_path, notes=notes,
                     reader={"reader": "arrow", "spark_version": None, "spark_master": None})


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


