"""Held-out evaluation with MLlib's own evaluators, plus a named confusion matrix."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def _clean(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else float(value)


def evaluate_predictions(predictions: DataFrame, *, task: str, label_col: str,
                         classes: tuple[str, ...], weight_col: str | None = None
                         ) -> dict[str, Any]:
    """Metrics on scored rows that have the numeric label column ``label_col``.

    Classification: accuracy, weighted precision/recall/F1, log loss, area under ROC (binary),
    and the confusion matrix (rows: true class, columns: predicted class). Regression: RMSE,
    MAE, R².
    """
    from pyspark.ml.evaluation import (
        BinaryClassificationEvaluator,
        MulticlassClassificationEvaluator,
        RegressionEvaluator,
    )

    predictions = predictions.cache()
    metrics: dict[str, Any] = {"rows": predictions.count()}
    extra: dict[str, Any] = {"weightCol": weight_col} if weight_col else {}
    if task == "regression":
        for name in ("rmse", "mae", "r2"):
            evaluator = RegressionEvaluator(labelCol=label_col, predictionCol="prediction",
                                            metricName=name, **extra)
            metrics[name] = _clean(evaluator.evaluate(predictions))
        return metrics
    names: dict[str, Any] = {"accuracy": "accuracy", "weighted_precision": "weightedPrecision",
             "weighted_recall": "weightedRecall", "weighted_f1": "f1", "log_loss": "logLoss"}
    for key, name in names.items():
        multi: Any = MulticlassClassificationEvaluator(
            labelCol=label_col, predictionCol="prediction", probabilityCol="probability",
            metricName=name, **extra)
        metrics[key] = _clean(multi.evaluate(predictions))
    if len(classes) == 2:
        auc = BinaryClassificationEvaluator(labelCol=label_col, rawPredictionCol="probability",
                                            metricName="areaUnderROC", **extra)
        metrics["area_under_roc"] = _clean(auc.evaluate(predictions))
        curve = _roc_curve(predictions, label_col, weight_col)
        if curve is not None:
            metrics["roc_curve"] = curve
    counts = predictions.groupBy(label_col, "prediction").count().collect()
    matrix = [[0] * len(classes) for _ in classes]
    for row in counts:
        matrix[int(row[label_col])][int(row["prediction"])] = int(row["count"])
    metrics["confusion_matrix"] = {"classes": list(classes), "matrix": matrix}
    predictions.unpersist()
    return metrics


ROC_BUCKETS = 1000
"""Score buckets of the ROC curve computed on Spark: one aggregation, whatever the row count."""


def _roc_curve(predictions: Any, label_col: str, weight_col: str | None
               ) -> dict[str, list[float]] | None:
    """The ROC curve from per-bucket weighted counts of positives and negatives (scores
    rounded down to 1/ROC_BUCKETS), thinned as the local engine thins it."""
    import numpy as np
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    from sparkgrove.trees.metrics import thin_curve

    weight = F.col(weight_col).cast("double") if weight_col else F.lit(1.0)
    score = F.floor(vector_to_array(F.col("probability"))[1] * ROC_BUCKETS)
    rows = (predictions.select(score.alias("b"), (F.col(label_col) == 1).alias("p"),
                               weight.alias("w"))
            .groupBy("b").agg(F.sum(F.when(F.col("p"), F.col("w")).otherwise(0.0)).alias("pos"),
                              F.sum(F.when(~F.col("p"), F.col("w")).otherwise(0.0)).alias("neg"))
            .orderBy(F.col("b").desc()).collect())
    pos = np.array([r["pos"] for r in rows], dtype=float)
    neg = np.array([r["neg"] for r in rows], dtype=float)
    if pos.sum() == 0 or neg.sum() == 0:
        return None
    return thin_curve(np.r_[0.0, np.cumsum(neg) / neg.sum()],
                      np.r_[0.0, np.cumsum(pos) / pos.sum()])
