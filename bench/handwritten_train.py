"""The peer of `sparkgrove train` in bench/train.py: the same work, written by hand in pyspark.ml.

Reads the CSV table, drops rows without a label, splits 80/20, indexes the string column, fills
missing numbers with the median, fits a depth-5 decision tree, evaluates accuracy, weighted
precision/recall/F1, log loss and AUC, and saves the pipeline.
"""

from __future__ import annotations

import sys

from pyspark.ml import Pipeline
from pyspark.ml.classification import DecisionTreeClassifier
from pyspark.ml.evaluation import BinaryClassificationEvaluator, MulticlassClassificationEvaluator
from pyspark.ml.feature import Imputer, StringIndexer, VectorAssembler
from pyspark.sql import SparkSession


def main(data: str, out: str) -> None:
    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "8").getOrCreate())
    schema = ", ".join([f"x{i} double" for i in range(8)] + ["color string", "label string"])
    frame = spark.read.csv(data, header=True, schema=schema).filter("label IS NOT NULL").cache()
    frame.count()
    train, test = frame.randomSplit([0.8, 0.2], seed=42)
    numeric = [f"x{i}" for i in range(8)]
    pipeline = Pipeline(stages=[
        StringIndexer(inputCol="color", outputCol="color_idx", handleInvalid="keep"),
        StringIndexer(inputCol="label", outputCol="label_idx"),
        Imputer(strategy="median", inputCols=numeric, outputCols=[c + "_f" for c in numeric]),
        VectorAssembler(inputCols=[c + "_f" for c in numeric] + ["color_idx"], outputCol="f"),
        DecisionTreeClassifier(featuresCol="f", labelCol="label_idx", maxDepth=5, maxBins=32,
                               seed=42),
    ]).fit(train)
    scored = pipeline.transform(test).cache()
    for name in ("accuracy", "weightedPrecision", "weightedRecall", "f1", "logLoss"):
        MulticlassClassificationEvaluator(labelCol="label_idx", metricName=name).evaluate(scored)
    BinaryClassificationEvaluator(labelCol="label_idx", rawPredictionCol="probability"
                                  ).evaluate(scored)
    scored.groupBy("label_idx", "prediction").count().collect()
    pipeline.write().overwrite().save(out)
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
