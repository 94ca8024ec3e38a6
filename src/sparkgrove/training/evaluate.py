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
    counts = predictions.groupBy(label_col, "prediction").count().collect()
    matrix = [[0] * len(classes) for _ in classes]
    for row in counts:
        matrix[int(row[label_col])][int(row["prediction"])] = int(row["count"])
    metrics["confusion_matrix"] = {"classes": list(classes), "matrix": matrix}
    predictions.unpersist()
    return metrics
