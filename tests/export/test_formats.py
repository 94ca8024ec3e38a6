"""Exported models predict what the ``TreeModel`` predicts: ONNX checked with onnxruntime, PMML
with JPMML-Evaluator (the reference PMML evaluator, in its own process and JVM)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest

from sparkgrove.errors import ConfigError
from sparkgrove.export import export_model, write_export
from sparkgrove.trees import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    GBTClassifier,
    GBTRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sparkgrove.trees.model import FeatureSpec, LabelSpec, Tree, TreeModel
from tests.serving.conftest import penguin_frame, species
from tests.trees.test_model import _model

TRAIN = penguin_frame(600, seed=3)
ROWS = penguin_frame(400, seed=11)
ROWS.loc[0, "island"] = "Atlantis"  # never seen in training
ROWS.loc[1, "sex"] = "unknown"


def _lone_leaf() -> TreeModel:
    """A forest whose second tree is a single leaf."""
    base = _model()
    leaf = Tree(feature=np.array([-1]), threshold=np.array([np.nan]), left_categories=[None],
                left=np.array([-1]), right=np.array([-1]), missing_left=np.array([False]),
                value=np.array([[0.25, 0.75]]), impurity=np.zeros(1), count=np.ones(1),
                gain=np.zeros(1))
    return TreeModel(features=base.features, label=base.label, trees=[base.trees[0], leaf])


def _models() -> dict[str, tuple[TreeModel, pd.DataFrame]]:
    y = species(TRAIN)
    small = pd.DataFrame({"x": [0.0, 2.0, None, 5.0, 1.5, None],
                          "color": ["red", "blue", None, "purple", "blue", "red"]})
    fitted = {
        "tree-classifier": DecisionTreeClassifier(max_depth=5).fit(TRAIN, y),
        "tree-regressor": DecisionTreeRegressor(max_depth=5).fit(TRAIN, TRAIN.flipper_length_mm),
        "forest-classifier": RandomForestClassifier(n_trees=8, seed=1).fit(TRAIN, y),
        "forest-regressor": RandomForestRegressor(n_trees=6, seed=1).fit(
            TRAIN, TRAIN.flipper_length_mm * 3 + (TRAIN.island == "Dream") * 40),
        "gbt-classifier": GBTClassifier(max_iter=12, max_depth=3).fit(TRAIN, y == "Adelie"),
        "gbt-regressor": GBTRegressor(max_iter=15, max_depth=4, loss="absolute").fit(
            TRAIN, TRAIN.flipper_length_mm),
    }
    out = {name: (est.tree_model_, ROWS) for name, est in fitted.items()}
    out["fill-values"] = (_model(), small)
    out["lone-leaf"] = (_lone_leaf(), small)
    out["threshold-ties"] = (TreeModel(
        features=(FeatureSpec("a", "numeric"),), label=LabelSpec("y", "regression"),
        trees=[Tree(feature=np.array([0, -1, -1]), threshold=np.array([0.5, np.nan, np.nan]),
                    left_categories=[None] * 3, left=np.array([1, -1, -1]),
                    right=np.array([2, -1, -1]), missing_left=np.array([False] * 3),
                    value=np.array([[0.0], [1.0], [-2.5]]), impurity=np.zeros(3),
                    count=np.ones(3), gain=np.zeros(3))]),
        pd.DataFrame({"a": [0.5, 0.5000000000000001, None, -1.0]}))
    return out


MODELS = _models()


def _onnx_feeds(model: TreeModel, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    feeds = {}
    for spec in model.features:
        column = frame[spec.name]
        if spec.kind == "categorical":
            feeds[spec.name] = np.asarray(["" if v is None or v != v else str(v)
                                           for v in column], dtype=object).reshape(-1, 1)
        else:
            feeds[spec.name] = column.to_numpy(dtype=float).reshape(-1, 1)
    return feeds


@pytest.mark.parametrize("name", sorted(MODELS))
def test_onnx_predicts_what_the_tree_model_predicts(name: str) -> None:
    model, frame = MODELS[name]
    session = ort.InferenceSession(export_model(model, "onnx"),
                                   providers=["CPUExecutionProvider"])
    outputs = dict(zip([o.name for o in session.get_outputs()],
                       session.run(None, _onnx_feeds(model, frame)), strict=True))
    if model.task == "classification":
        assert outputs["label"].tolist() == model.predict(frame).tolist()
        np.testing.assert_allclose(outputs["probabilities"], model.predict_proba(frame),
                                   rtol=0, atol=1e-12)
    else:
        np.testing.assert_allclose(outputs["prediction"][:, 0], model.predict(frame),
                                   rtol=1e-13, atol=1e-12)


JPMML = """
import json, sys
import pandas as pd
from jpmml_evaluator import make_evaluator
jobs = json.loads(open(sys.argv[1]).read())
results = {}
for name, (path, rows) in jobs.items():
    evaluator = make_evaluator(path, backend="jpype").verify()
    frame = pd.DataFrame.from_records(rows).astype(object)
    frame = frame.where(frame.notna(), None)
    results[name] = evaluator.evaluateAll(frame).to_dict(orient="records")
print(json.dumps(results))
"""


def test_pmml_predicts_what_the_tree_model_predicts(tmp_path: Path) -> None:
    jobs = {}
    for name, (model, frame) in MODELS.items():
        path = write_export(model, "pmml", tmp_path / f"{name}.pmml")
        rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        jobs[name] = (str(path), rows)  # json.dumps keeps every digit; to_json would round
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    done = subprocess.run([sys.executable, "-c", JPMML, str(tmp_path / "jobs.json")],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout)
    for name, (model, frame) in MODELS.items():
        got = pd.DataFrame.from_records(results[name])
        if model.task == "classification":
            assert got["label"].tolist() == model.predict(frame).tolist(), name
            probabilities = got[[f"probability({c})" for c in model.label.classes]]
            np.testing.assert_allclose(probabilities.to_numpy(dtype=float),
                                       model.predict_proba(frame), rtol=0, atol=1e-12,
                                       err_msg=name)
        else:
            np.testing.assert_allclose(got["prediction"].to_numpy(dtype=float),
                                       model.predict(frame), rtol=1e-13, atol=1e-12,
                                       err_msg=name)


def test_an_unknown_format_and_an_unwritable_place_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="one of json, onnx, pmml"):
        export_model(_model(), "xgboost")
    with pytest.raises(ConfigError, match="it is a folder"):
        write_export(_model(), "pmml", tmp_path)
    with pytest.raises(ConfigError, match="folder that exists"):
        write_export(_model(), "onnx", tmp_path / "missing" / "m.onnx")
    assert list(tmp_path.iterdir()) == []
