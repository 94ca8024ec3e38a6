"""The Spark engine: MLlib decision trees on a DataFrame, and their conversion to ``TreeModel``.

The fitted pipeline is self-contained, so it scores raw table rows: a SQL stage casts the feature
columns, ``StringIndexer`` (``handleInvalid="keep"``, alphabetical) indexes categorical ones so
unseen and missing categories share one extra index, ``Imputer`` fills missing numbers with the
training median, ``VectorAssembler`` packs them, the tree predicts, and ``IndexToString`` names
the predicted class.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sparkgrove.errors import DataError
from sparkgrove.trees.model import FeatureSpec, LabelSpec, Tree, TreeModel
from sparkgrove.trees.params import TreeParams

if TYPE_CHECKING:
    from pyspark.ml import PipelineModel
    from pyspark.sql import DataFrame

LABEL_COL = "__sg_label"
WEIGHT_COL = "__sg_weight"
FEATURES_COL = "__sg_features"
PREDICTED_LABEL = "predicted_label"


def _internal(i: int) -> str:
    return f"__sg_f{i}"


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


@dataclass
class SparkFit:
    """A fitted MLlib pipeline and what it takes to use it."""

    pipeline: PipelineModel
    tree_model: TreeModel
    classes: tuple[str, ...]
    train_rows: int


def index_label(frame: DataFrame, label: str, task: str, classes: tuple[str, ...]) -> DataFrame:
    """Add the numeric label column the tree trains on (class index, or the value)."""
    from pyspark.sql import functions as F

    column = F.col(_quote(label))
    if task == "regression":
        return frame.withColumn(LABEL_COL, column.cast("double"))
    mapping = F.create_map(*[x for i, c in enumerate(classes) for x in (F.lit(c), F.lit(float(i)))])
    return frame.withColumn(LABEL_COL, mapping[column.cast("string")])


def _string_literal(text: str) -> str:
    # Hex-encoded, so no category text can change the statement's meaning.
    return f"CAST(unhex('{text.encode('utf-8').hex()}') AS STRING)"


def fit_pipeline(train: DataFrame, *, features: tuple[tuple[str, str], ...], label: str, task: str,
                 classes: tuple[str, ...], params: TreeParams, workdir: Path,
                 kept: dict[str, tuple[str, ...]] | None = None) -> SparkFit:
    """Fit the MLlib pipeline on ``train`` (which has the label column) and convert its trees.

    ``kept`` names, for categorical columns with more categories than one index each can
    have, the categories that keep one; the others share the unseen-and-missing index.
    """
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import (
        Imputer,
        IndexToString,
        SQLTransformer,
        StringIndexer,
        VectorAssembler,
    )

    casts = []
    for i, (name, kind) in enumerate(features):
        target = "string" if kind == "categorical" else "double"
        cast = f"CAST({_quote(name)} AS {target})"
        if kept and name in kept:
            listed = ", ".join(_string_literal(c) for c in kept[name])
            cast = f"CASE WHEN {cast} IN ({listed}) THEN {cast} END"
        casts.append(f"{cast} AS {_internal(i)}")
    stages: list[Any] = [SQLTransformer(statement="SELECT *, " + ", ".join(casts) +
                                        " FROM __THIS__")]
    assembled: list[str] = []
    numeric = [i for i, (_, kind) in enumerate(features) if kind == "numeric"]
    for i, (_, kind) in enumerate(features):
        if kind == "categorical":
            stages.append(StringIndexer(inputCol=_internal(i), outputCol=_internal(i) + "_idx",
                                        handleInvalid="keep", stringOrderType="alphabetAsc"))
    if numeric:
        stages.append(Imputer(strategy="median",
                              inputCols=[_internal(i) for i in numeric],
                              outputCols=[_internal(i) + "_imp" for i in numeric]))
    for i, (_, kind) in enumerate(features):
        assembled.append(_internal(i) + ("_idx" if kind == "categorical" else "_imp"))
    stages.append(VectorAssembler(inputCols=assembled, outputCol=FEATURES_COL))
    estimator_params = params.mllib_params(task)
    if params.weight_col:
        estimator_params["weightCol"] = WEIGHT_COL
    estimator = mllib_estimator(params.algorithm, task)(
        featuresCol=FEATURES_COL, labelCol=LABEL_COL, **estimator_params)
    stages.append(estimator)
    if task == "classification":
        stages.append(IndexToString(inputCol="prediction", outputCol=PREDICTED_LABEL,
                                    labels=list(classes)))
    pipeline = Pipeline(stages=stages).fit(train)
    pipeline.write().overwrite().save(str(workdir))
    model = convert_pipeline(pipeline, workdir, features=features, label=label, task=task,
                             classes=classes)
    return SparkFit(pipeline, model, classes, 0)


def mllib_estimator(algorithm: str, task: str) -> Any:
    """MLlib's estimator class for ``algorithm`` (tree, forest, gbt) and ``task``."""
    from pyspark.ml import classification, regression

    names = {"tree": "DecisionTree{}", "forest": "RandomForest{}", "gbt": "GBT{}"}
    if task == "classification":
        return getattr(classification, names[algorithm].format("Classifier"))
    return getattr(regression, names[algorithm].format("Regressor"))


def _fill_values(pipeline: PipelineModel, count: int) -> dict[int, float]:
    from pyspark.ml.feature import ImputerModel

    for stage in pipeline.stages:
        if isinstance(stage, ImputerModel):
            row = stage.surrogateDF.collect()[0].asDict()
            return {i: float(row[_internal(i)]) for i in range(count) if _internal(i) in row}
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
            specs.append(FeatureSpec(name, "categorical", cats[_internal(i)]))
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
