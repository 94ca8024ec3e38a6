"""The numpy metrics equal MLlib's evaluators on the same predictions."""

from typing import Any

import numpy as np
import pytest

from sparkgrove.training.evaluate import evaluate_predictions
from sparkgrove.trees.metrics import classification_metrics, regression_metrics


def _spark_frame(spark: Any, rows: list[tuple[Any, ...]], schema: str) -> Any:
    return spark.createDataFrame(rows, schema)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classification_metrics_match_mllib(spark: Any, n_classes: int) -> None:
    from pyspark.ml.linalg import Vectors

    rng = np.random.default_rng(n_classes)
    n = 300
    y = rng.integers(0, n_classes, size=n)
    raw = rng.random((n, n_classes)) + np.eye(n_classes)[y] * rng.random((n, 1))
    raw[rng.random(n) < 0.1] = np.eye(n_classes)[0]  # some certain (and wrong) answers
    proba = raw / raw.sum(axis=1, keepdims=True)
    weight = rng.integers(1, 4, size=n).astype(float)
    classes = tuple(f"c{i}" for i in range(n_classes))
    rows = [(float(y[i]), float(np.argmax(proba[i])), Vectors.dense(proba[i].tolist()),
             float(weight[i])) for i in range(n)]
    frame = spark.createDataFrame(rows, ["label", "prediction", "probability", "w"])
    for w in (None, weight):
        theirs = evaluate_predictions(frame, task="classification", label_col="label",
                                      classes=classes, weight_col=None if w is None else "w")
        ours = classification_metrics(y, proba, classes, w)
        for key, value in theirs.items():
            if key == "confusion_matrix":
                if w is None:
                    assert ours[key] == value
            elif key == "roc_curve":
                _check_roc(ours[key], value, y == 1, proba[:, 1], w)
            elif key != "rows":
                assert ours[key] == pytest.approx(value, rel=1e-9), key
        assert ("roc_curve" in ours) == (n_classes == 2)


def _area(curve: dict[str, list[float]]) -> float:
    return float(np.trapezoid(curve["tpr"], curve["fpr"]))


def _check_roc(ours: dict[str, list[float]], spark_curve: dict[str, list[float]],
               positive: Any, score: Any, weight: Any) -> None:
    """Our exact curve's points are scikit-learn's; Spark's bucketed one draws the same area."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(positive, score, sample_weight=weight, drop_intermediate=False)
    exact = {(round(float(a), 6), round(float(b), 6)) for a, b in zip(fpr, tpr, strict=True)}
    points = list(zip(ours["fpr"], ours["tpr"], strict=True))
    assert points[0] == (0.0, 0.0) and points[-1] == (1.0, 1.0)
    assert set(points) <= exact
    assert 50 <= len(points) <= 101
    for curve in (ours, spark_curve):
        assert all(np.diff(curve["fpr"]) >= 0) and all(np.diff(curve["tpr"]) >= 0)
        assert len(curve["fpr"]) <= 101
    assert _area(spark_curve) == pytest.approx(_area(ours), abs=0.01)


def test_regression_metrics_match_mllib(spark: Any) -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=200)
    pred = y + rng.normal(scale=0.3, size=200)
    weight = rng.random(200) + 0.5
    frame = spark.createDataFrame([(float(a), float(b), float(c)) for a, b, c in
                                   zip(y, pred, weight, strict=True)], ["label", "prediction", "w"])
    for w in (None, weight):
        theirs = evaluate_predictions(frame, task="regression", label_col="label", classes=(),
                                      weight_col=None if w is None else "w")
        ours = regression_metrics(y, pred, w)
        for key in ("rmse", "mae", "r2"):
            assert ours[key] == pytest.approx(theirs[key], rel=1e-9), key
