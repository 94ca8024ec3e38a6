"""MLlib's fitted trees converted to ``TreeModel``: from the saved node data of the pipeline
that :mod:`sparkgrove.training.mllib_pipeline` builds (its stage names and column names)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sparkgrove.errors import DataError
from sparkgrove.trees.model import FeatureSpec, LabelSpec, Tree, TreeModel

if TYPE_CHECKING:
    from pyspark.ml import PipelineModel

def internal_column(i: int) -> str:
    """The pipeline's name for feature ``i`` (its SQL stage's output column)."""
    return f"__sg_f{i}"


def _fill_values(pipeline: PipelineModel, count: int) -> dict[int, float]:
    from pyspark.ml.feature import ImputerModel

    for stage in pipeline.stages:
        if isinstance(stage, ImputerModel):
            row = stage.surrogateDF.collect()[0].asDict()
            return {i: float(row[internal_column(i)]) for i in range(count) if internal_column(i) in row}
    return {}


def _categories(pipeline: PipelineModel) -> dict[str, tuple[str, ...]]:
    from pyspark.ml.feature import StringIndexerModel

    found: dict[str, tuple[str, ...]] = {}
    for stage in pipeline.stages:
        if isinstance(stage, StringIndexerModel):
            found[stage.getInputCol()] = tuple(stage.labelsArray[0])
    return found


def convert_pipeline(pipeline: PipelineModel, saved: Path, *, features: tuple[tuple[str, str], ...],
                     label: str, task: str, classes: tuple[str, ...]) -> TreeModel:
    """Build the ``TreeModel`` of a fitted, saved pipeline from the tree's saved node data."""
    import pyarrow.parquet as pq

    fills = _fill_values(pipeline, len(features))
    cats = _categories(pipeline)
    specs = []
    for i, (name, kind) in enumerate(features):
        if kind == "categorical":
            specs.append(FeatureSpec(name, "categorical", cats[internal_column(i)]))
        else:
            specs.append(FeatureSpec(name, "numeric", fill_value=fills.get(i)))
    tree_dirs = sorted(p for p in (saved / "stages").iterdir()
                       if any(kind in p.name for kind in ("DecisionTree", "RandomForest", "GBT")))
    if len(tree_dirs) != 1:
        raise DataError(f"Expected one tree stage in {saved}, found {len(tree_dirs)}.")
    estimator: Any = pipeline.stages[-2] if task == "classification" else pipeline.stages[-1]
    boosted = "GBT" in tree_dirs[0].name
    tree_task = "regression" if boosted else task
    rows = pq.read_table(tree_dirs[0] / "data").to_pylist()
    if rows and "treeID" in rows[0]:  # an ensemble: node rows grouped by tree
        by_tree: dict[int, list[dict[str, Any]]] = {}
        for row in rows:
            by_tree.setdefault(int(row["treeID"]), []).append(row["nodeData"])
        trees = [tree_from_node_data(by_tree[t], tree_task) for t in sorted(by_tree)]
    else:
        trees = [tree_from_node_data(rows, tree_task)]
    importances = tuple(float(v) for v in estimator.featureImportances.toArray())
    return TreeModel(
        features=tuple(specs),
        label=LabelSpec(label, task, classes if task == "classification" else ()),
        trees=trees,
        feature_importances=importances,
        metadata={"engine": "spark", "source": "pyspark.ml " + type(estimator).__name__},
        ensemble="sum" if boosted else "mean",
        tree_weights=tuple(float(w) for w in estimator.treeWeights) if boosted else (),
    )


def tree_from_node_data(nodes: list[dict[str, Any]], task: str) -> Tree:
    """A ``Tree`` from MLlib's saved node rows (id, prediction, impurityStats, split, ...)."""
    nodes = sorted(nodes, key=lambda n: n["id"])
    n = len(nodes)
    if [node["id"] for node in nodes] != list(range(n)):
        raise DataError("MLlib's saved tree has gaps in its node ids; it cannot be converted.")
    width = len(nodes[0]["impurityStats"]) if task == "classification" else 1
    feature = np.full(n, -1, dtype=np.int64)
    threshold = np.full(n, np.nan)
    left_categories: list[tuple[int, ...] | None] = [None] * n
    left = np.full(n, -1, dtype=np.int64)
    right = np.full(n, -1, dtype=np.int64)
    value = np.zeros((n, width))
    impurity = np.zeros(n)
    count = np.zeros(n)
    gain = np.zeros(n)
    for node in nodes:
        i = node["id"]
        impurity[i] = node["impurity"]
        count[i] = node["rawCount"]
        gain[i] = max(node["gain"], 0.0)
        if task == "classification":
            stats = np.asarray(node["impurityStats"], dtype=np.float64)
            total = stats.sum()
            value[i] = stats / total if total > 0 else stats
        else:
            value[i, 0] = node["prediction"]
        if node["leftChild"] >= 0:
            split = node["split"]
            feature[i] = split["featureIndex"]
            left[i] = node["leftChild"]
            right[i] = node["rightChild"]
            cuts = split["leftCategoriesOrThreshold"]
            if split["numCategories"] >= 0:
                left_categories[i] = tuple(sorted(int(c) for c in cuts))
            else:
                threshold[i] = float(cuts[0])
    return Tree(feature=feature, threshold=threshold, left_categories=left_categories,
                left=left, right=right, missing_left=np.ones(n, dtype=bool), value=value,
                impurity=impurity, count=count, gain=gain)
