"""Held-out metrics in numpy, defined as MLlib's evaluators define them.

Used by the local engine so that both engines report the same numbers for the same predictions
(``tests/trees/test_metrics.py`` checks them against MLlib's evaluators).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

LOG_LOSS_EPS = 1e-15


def classification_metrics(y: npt.NDArray[np.int64], proba: npt.NDArray[np.float64],
                           classes: tuple[str, ...],
                           weight: npt.NDArray[np.float64] | None = None) -> dict[str, Any]:
    """Accuracy, weighted precision/recall/F1, log loss, AUC (binary), confusion matrix."""
    n_classes = len(classes)
    w = np.ones(y.shape[0]) if weight is None else weight
    pred = np.argmax(proba, axis=1) if proba.size else np.zeros(0, dtype=np.int64)
    total = float(w.sum())
    confusion_w = np.zeros((n_classes, n_classes))
    np.add.at(confusion_w, (y, pred), w)
    label_w = confusion_w.sum(axis=1)
    predicted_w = confusion_w.sum(axis=0)
    tp = np.diag(confusion_w)
    precision = np.divide(tp, predicted_w, out=np.zeros(n_classes), where=predicted_w > 0)
    recall = np.divide(tp, label_w, out=np.zeros(n_classes), where=label_w > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(n_classes), where=denom > 0)
    share = label_w / total if total > 0 else label_w
    p_true = proba[np.arange(y.shape[0]), y] if y.size else np.zeros(0)
    losses = -np.log(np.maximum(p_true, LOG_LOSS_EPS))
    metrics: dict[str, Any] = {
        "rows": int(y.shape[0]),
        "accuracy": float(tp.sum() / total) if total else None,
        "weighted_precision": float((share * precision).sum()),
        "weighted_recall": float((share * recall).sum()),
        "weighted_f1": float((share * f1).sum()),
        "log_loss": float((losses * w).sum() / total) if total else None,
    }
    if n_classes == 2:
        metrics["area_under_roc"] = area_under_roc(proba[:, 1], y == 1, w)
        curve = roc_curve(proba[:, 1], y == 1, w)
        if curve is not None:
            metrics["roc_curve"] = curve
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (y, pred), 1)
    metrics["confusion_matrix"] = {"classes": list(classes), "matrix": counts.tolist()}
    return metrics


def _roc_points(score: npt.NDArray[np.float64], positive: npt.NDArray[np.bool_],
                weight: npt.NDArray[np.float64]
                ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None:
    """False and true positive rates at every distinct score, from (0, 0); ``None`` when one
    class is absent."""
    pos_total = float(weight[positive].sum())
    neg_total = float(weight[~positive].sum())
    if pos_total == 0 or neg_total == 0:
        return None
    order = np.argsort(-score, kind="mergesort")
    s, p, w = score[order], positive[order], weight[order]
    last = np.r_[np.flatnonzero(np.diff(s) != 0), s.size - 1]
    return (np.r_[0.0, np.cumsum(w * ~p)[last] / neg_total],
            np.r_[0.0, np.cumsum(w * p)[last] / pos_total])


def area_under_roc(score: npt.NDArray[np.float64], positive: npt.NDArray[np.bool_],
                   weight: npt.NDArray[np.float64]) -> float | None:
    """Area under the ROC curve over every distinct score, by the trapezoid rule."""
    points = _roc_points(score, positive, weight)
    if points is None:
        return None
    fpr, tpr = np.r_[points[0], 1.0], np.r_[points[1], 1.0]
    return float(np.sum((fpr[1:] - fpr[:-1]) * (tpr[1:] + tpr[:-1]) / 2.0))


ROC_POINTS = 101
"""Most points a stored ROC curve keeps (enough to draw it; the AUC uses every score)."""


def roc_curve(score: npt.NDArray[np.float64], positive: npt.NDArray[np.bool_],
              weight: npt.NDArray[np.float64]) -> dict[str, list[float]] | None:
    """The ROC curve at up to :data:`ROC_POINTS` thresholds, as ``{"fpr": [...], "tpr":
    [...]}`` from (0, 0) to (1, 1); ``None`` when one class is absent."""
    points = _roc_points(score, positive, weight)
    return None if points is None else thin_curve(*points)


def thin_curve(fpr: npt.NDArray[np.float64], tpr: npt.NDArray[np.float64]
               ) -> dict[str, list[float]]:
    """At most :data:`ROC_POINTS` points of a curve, its two ends kept."""
    if fpr.size > ROC_POINTS:
        keep = np.unique(np.linspace(0, fpr.size - 1, ROC_POINTS).round().astype(np.int64))
        fpr, tpr = fpr[keep], tpr[keep]
    return {"fpr": [round(float(v), 6) for v in fpr], "tpr": [round(float(v), 6) for v in tpr]}


def regression_metrics(y: npt.NDArray[np.float64], pred: npt.NDArray[np.float64],
                       weight: npt.NDArray[np.float64] | None = None) -> dict[str, Any]:
    """RMSE, MAE and R²."""
    w = np.ones(y.shape[0]) if weight is None else weight
    total = float(w.sum())
    if total == 0:
        return {"rows": int(y.shape[0]), "rmse": None, "mae": None, "r2": None}
    err = y - pred
    mean = float((w * y).sum() / total)
    # MLlib takes the total sum of squares as its unbiased weighted variance times
    # (weight sum - 1); with unit weights that is the plain sum of squares.
    spread = float((w * (y - mean) ** 2).sum())
    denominator = total - float((w * w).sum()) / total
    ss_tot = spread / denominator * (total - 1.0) if denominator > 0 else 0.0
    ss_err = float((w * err**2).sum())
    return {
        "rows": int(y.shape[0]),
        "rmse": math.sqrt(ss_err / total),
        "mae": float((w * np.abs(err)).sum() / total),
        "r2": 1.0 - ss_err / ss_tot if ss_tot > 0 else None,
    }
