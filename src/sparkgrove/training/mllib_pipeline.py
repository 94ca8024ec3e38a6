"""The Spark engine: MLlib decision trees, forests and boosted trees on a DataFrame.

The fitted pipeline is self-contained, so it scores raw table rows: a SQL stage casts the feature
columns, ``StringIndexer`` (``handleInvalid="keep"``, alphabetical) indexes categorical ones so
unseen and missing categories share one extra index, ``Imputer`` fills missing numbers with the
training median, ``VectorAssembler`` packs them, the tree predicts, and ``IndexToString`` names
the predicted class. :mod:`sparkgrove.trees.mllib` converts the fitted trees to ``TreeModel``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkgrove.trees.mllib import convert_pipeline, internal_column
from sparkgrove.trees.model import TreeModel
from sparkgrove.trees.params import TreeParams

if TYPE_CHECKING:
    from pyspark.ml import PipelineModel
    from pyspark.sql import DataFrame

LABEL_COL = "__sg_label"
WEIGHT_COL = "__sg_weight"
FEATURES_COL = "__sg_features"
PREDICTED_LABEL = "predicted_label"


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
        casts.append(f"{cast} AS {internal_column(i)}")
    stages: list[Any] = [SQLTransformer(statement="SELECT *, " + ", ".join(casts) +
                                        " FROM __THIS__")]
    assembled: list[str] = []
    numeric = [i for i, (_, kind) in enumerate(features) if kind == "numeric"]
    for i, (_, kind) in enumerate(features):
        if kind == "categorical":
            stages.append(StringIndexer(inputCol=internal_column(i), outputCol=internal_column(i) + "_idx",
                                        handleInvalid="keep", stringOrderType="alphabetAsc"))
    if numeric:
        stages.append(Imputer(strategy="median",
                              inputCols=[internal_column(i) for i in numeric],
                              outputCols=[internal_column(i) + "_imp" for i in numeric]))
    for i, (_, kind) in enumerate(features):
        assembled.append(internal_column(i) + ("_idx" if kind == "categorical" else "_imp"))
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
