"""The portable TreeModel predicts exactly what the MLlib pipeline it came from predicts."""

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sparkgrove.spark import read_table
from sparkgrove.training import train_table
from sparkgrove.trees.params import TreeParams
from sparkgrove.workspace import Workspace
from tests.helpers import classification_rows, regression_rows, write_csv

HEADER = ["x1", "x2", "color", "label"]
DATASETS: dict[str, dict[str, Any]] = {
    "binary-numeric": {"rows": lambda: classification_rows(400, seed=1),
                       "features": ["x1", "x2"], "params": {"max_depth": 5}},
    "binary-categorical-missing": {"rows": lambda: classification_rows(400, seed=2, missing=0.1),
                                   "features": None, "params": {"max_depth": 6}},
    "multiclass-entropy": {"rows": lambda: classification_rows(500, seed=3, classes=3),
                           "features": None, "params": {"max_depth": 4, "impurity": "entropy"}},
    "regression-categorical": {"rows": lambda: regression_rows(400, seed=4), "features": None,
                               "params": {"max_depth": 5, "max_bins": 16}},
}


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_tree_model_equals_mllib(spark_workspace: Workspace, tmp_path: Path, name: str) -> None:
    from pyspark.ml import PipelineModel

    spec = DATASETS[name]
    ws = spark_workspace
    write_csv(tmp_path / "data" / "a.csv", HEADER, spec["rows"]())
    ws.catalog.crawl(tmp_path / "data", "parity", table="t")
    result = train_table(ws, "parity.t", label="label", features=spec["features"],
                         params=TreeParams(**spec["params"]), model_name=name, engine="spark")
    model = result.tree_model
    assert model.trees[0].n_nodes > 3
    pipeline = PipelineModel.load(str(ws.registry.mllib_path(result.model_version)))
    frame = read_table(ws.spark, ws.catalog, ws.catalog.table("parity.t")).frame
    extra = ["probability"] if model.task == "classification" else []
    scored = pipeline.transform(frame).select(*model.feature_names, "prediction", *extra)
    pdf = scored.toPandas()
    ours = model.predict_index(pdf)
    np.testing.assert_array_equal(ours, pdf["prediction"].to_numpy())
    if model.task == "classification":
        theirs = np.stack([v.toArray() for v in pdf["probability"]])
        np.testing.assert_allclose(model.predict_proba(pdf), theirs, rtol=0, atol=1e-12)
    importances = result.importances
    assert abs(sum(importances.values()) - 1.0) < 1e-9


def test_weighted_training_matches(spark_workspace: Workspace, tmp_path: Path) -> None:
    from pyspark.ml import PipelineModel

    ws = spark_workspace
    rows = [[*r, 1 + (i % 3)] for i, r in enumerate(classification_rows(300, seed=5))]
    write_csv(tmp_path / "w" / "a.csv", [*HEADER, "w"], rows)
    ws.catalog.crawl(tmp_path / "w", "parity", table="weighted")
    result = train_table(ws, "parity.weighted", label="label", features=["x1", "x2", "color"],
                         params=TreeParams(max_depth=4, weight_col="w"), model_name="weighted",
                         engine="spark")
    pipeline = PipelineModel.load(str(ws.registry.mllib_path(result.model_version)))
    pdf = pipeline.transform(read_table(ws.spark, ws.catalog, ws.catalog.table("parity.weighted")).frame
                             ).toPandas()
    np.testing.assert_array_equal(result.tree_model.predict_index(pdf), pdf["prediction"])
    assert list(result.tree_model.predict(pdf)) == list(pdf["predicted_label"])
