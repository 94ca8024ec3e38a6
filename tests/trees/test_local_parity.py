"""The local engine grows the same tree as MLlib: same splits, thresholds, category sets, leaves.

Each dataset is trained once by the MLlib pipeline (on Spark) and once by the local engine in
MLlib-parity mode (missing numbers filled with the median, as the pipeline does).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sparkgrove.training.mllib_pipeline import WEIGHT_COL, fit_pipeline, index_label
from sparkgrove.trees.estimators import DecisionTreeClassifier, DecisionTreeRegressor
from sparkgrove.trees.model import Tree, TreeModel
from sparkgrove.trees.params import TreeParams


def _frame(n: int, seed: int, *, classes: int | None, cats: dict[str, int], missing: float = 0.0,
           rounding: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {
        "a": rng.normal(size=n).round(rounding),
        "b": rng.integers(0, 200, size=n).astype(float),
        "c": rng.exponential(size=n).round(rounding),
    }
    score = data["a"] + data["b"] / 100 - data["c"]
    for name, arity in cats.items():
        codes = rng.integers(0, arity, size=n)
        data[name] = np.array([f"{name}{k:02d}" for k in codes], dtype=object)
        score = score + (codes % 3 - 1) * 0.8
    if missing:
        data["a"] = np.where(rng.random(n) < missing, np.nan, data["a"])
    noise = rng.normal(scale=0.5, size=n)
    if classes is None:
        data["label"] = (score + noise).round(3)
    elif classes == 2:
        data["label"] = np.where(score + noise > 0.5, "pos", "neg")
    else:
        data["label"] = np.array(["low", "mid", "high", "top"][:classes], dtype=object)[
            np.clip(((score + noise + 1.5) // 1.1).astype(int), 0, classes - 1)]
    return pd.DataFrame(data)


DATASETS: dict[str, tuple[Callable[[], pd.DataFrame], dict[str, Any]]] = {
    "binary-numeric": (lambda: _frame(3000, 1, classes=2, cats={}), {"max_depth": 6}),
    "binary-categorical": (lambda: _frame(2500, 2, classes=2, cats={"k": 6, "m": 12}),
                           {"max_depth": 5, "min_instances_per_node": 5}),
    "multiclass-unordered": (lambda: _frame(2000, 3, classes=3, cats={"k": 4}),
                             {"max_depth": 5, "impurity": "entropy"}),
    "multiclass-ordered": (lambda: _frame(2000, 4, classes=4, cats={"m": 20}),
                           {"max_depth": 4, "max_bins": 24}),
    "regression-numeric": (lambda: _frame(4000, 5, classes=None, cats={}, rounding=3),
                           {"max_depth": 7, "max_bins": 16}),
    "regression-categorical-missing": (
        lambda: _frame(900, 6, classes=None, cats={"k": 5}, missing=0.1),
        {"max_depth": 5, "min_info_gain": 0.001}),
    # Integer features and a rounded label: many repeated values and near-equal gains.
    "regression-ties": (lambda: _frame(3000, 8, classes=None, cats={"k": 3}, rounding=0),
                        {"max_depth": 8, "max_bins": 64}),
    "binary-weighted": (lambda: _frame(2000, 7, classes=2, cats={"k": 3}),
                        {"max_depth": 5, "min_weight_fraction_per_node": 0.01,
                         "weight_col": "w"}),
}


def _assert_same_tree(ours: Tree, theirs: Tree) -> None:
    assert ours.n_nodes == theirs.n_nodes
    np.testing.assert_array_equal(ours.feature, theirs.feature)
    np.testing.assert_array_equal(ours.left, theirs.left)
    np.testing.assert_allclose(ours.threshold, theirs.threshold, rtol=1e-12)
    assert ours.left_categories == theirs.left_categories
    leaves = ours.feature == -1
    np.testing.assert_allclose(ours.value[leaves], theirs.value[leaves], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_local_engine_grows_mllibs_tree(spark: Any, tmp_path: Path, name: str) -> None:
    make, params = DATASETS[name]
    frame = make()
    weights = None
    if params.get("weight_col"):
        weights = np.where(frame["label"] == "pos", 2.0, 0.5) * (1 + (frame.index % 3))
        frame[params["weight_col"]] = weights
    task = "regression" if frame["label"].dtype.kind == "f" else "classification"
    classes = tuple(sorted(frame["label"].unique())) if task == "classification" else ()
    features = [c for c in frame.columns if c not in ("label", "w")]
    kinds = tuple((c, "categorical" if frame[c].dtype == object else "numeric") for c in features)
    sdf = index_label(spark.createDataFrame(frame), "label", task, classes)
    if weights is not None:
        from pyspark.sql import functions as F

        sdf = sdf.withColumn(WEIGHT_COL, F.col("w"))
    tree_params = TreeParams(seed=1, **params)
    spark_model: TreeModel = fit_pipeline(
        sdf, features=kinds, label="label", task=task, classes=classes, params=tree_params,
        workdir=tmp_path / "mllib").tree_model
    local_kwargs = {k: v for k, v in params.items() if k != "weight_col"}
    estimator = (DecisionTreeClassifier if task == "classification" else DecisionTreeRegressor)(
        missing="median", seed=1, **local_kwargs)
    estimator.fit(frame[features], frame["label"], sample_weight=weights)
    ours = estimator.tree_model_
    assert ours.trees[0].n_nodes > 7
    _assert_same_tree(ours.trees[0], spark_model.trees[0])
    np.testing.assert_allclose(ours.feature_importances, spark_model.feature_importances,
                               rtol=1e-9, atol=1e-12)
    if frame.isna().any().any():
        # Spark's Imputer median is approxQuantile(0.5, 0.001): exact below 1,000 rows.
        assert [f.fill_value for f in ours.features] == [f.fill_value
                                                          for f in spark_model.features]


GBT_DATASETS = {
    "gbt-binary": (lambda: _frame(1200, 11, classes=2, cats={"k": 5}), {"loss": "logistic"}),
    "gbt-squared": (lambda: _frame(1000, 12, classes=None, cats={"k": 4}, rounding=3),
                    {"loss": "squared"}),
    "gbt-absolute": (lambda: _frame(800, 13, classes=None, cats={}, rounding=3),
                     {"loss": "absolute"}),
}


@pytest.mark.parametrize("name", sorted(GBT_DATASETS))
def test_local_gbt_boosts_mllibs_trees(spark: Any, tmp_path: Path, name: str) -> None:
    from sparkgrove.trees.ensembles import GBTClassifier, GBTRegressor

    make, extra = GBT_DATASETS[name]
    frame = make()
    task = "regression" if frame["label"].dtype.kind == "f" else "classification"
    classes = tuple(sorted(frame["label"].unique())) if task == "classification" else ()
    features = [c for c in frame.columns if c != "label"]
    kinds = tuple((c, "categorical" if frame[c].dtype == object else "numeric") for c in features)
    sdf = index_label(spark.createDataFrame(frame), "label", task, classes)
    params = TreeParams(seed=1, algorithm="gbt", max_iter=6, max_depth=3, step_size=0.3,
                        loss=extra["loss"])
    theirs: TreeModel = fit_pipeline(sdf, features=kinds, label="label", task=task,
                                     classes=classes, params=params,
                                     workdir=tmp_path / "mllib").tree_model
    klass = GBTClassifier if task == "classification" else GBTRegressor
    ours = klass(missing="median", seed=1, max_iter=6, max_depth=3, step_size=0.3,
                 loss=extra["loss"]).fit(frame[features], frame["label"]).tree_model_
    assert ours.ensemble == theirs.ensemble == "sum"
    assert ours.tree_weights == pytest.approx(theirs.tree_weights)
    assert len(ours.trees) == len(theirs.trees) == 6
    for mine, other in zip(ours.trees, theirs.trees, strict=True):
        _assert_same_tree(mine, other)
    np.testing.assert_allclose(ours.feature_importances, theirs.feature_importances,
                               rtol=1e-9, atol=1e-12)
    probe = frame[features].head(200)
    method = "predict_proba" if task == "classification" else "predict"
    np.testing.assert_allclose(getattr(ours, method)(probe), getattr(theirs, method)(probe),
                               rtol=1e-9, atol=1e-12)
