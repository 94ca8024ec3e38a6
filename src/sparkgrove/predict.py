"""Batch scoring of a catalog table with a registered model, on Spark.

The model's portable ``TreeModel`` is mapped over Arrow batches of the table; the scored rows
are written as Parquet to a staging folder, renamed into the warehouse, and only then
registered in the catalog, so the output table appears whole or not at all.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sparkgrove.errors import AlreadyExistsError, DataError
from sparkgrove.names import split_table_name
from sparkgrove.spark import read_table
from sparkgrove.store.catalog_store import TableWrite
from sparkgrove.store.entities import ColumnSpec, TableInfo
from sparkgrove.trees.model import TreeModel
from sparkgrove.workspace import Workspace

PREDICTION = "prediction"
PROBABILITY = "probability"


@dataclass
class PredictResult:
    """What a scoring run wrote."""

    model: str
    table: TableInfo
    rows: int
    malformed: int

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return {"model": self.model, "output": self.table.to_dict(), "rows": self.rows,
                "rows_malformed": self.malformed}


def score_batches(doc: str, batches: Iterator[Any]) -> Iterator[Any]:
    """Append prediction (and probability) columns to each Arrow batch."""
    import json

    import pyarrow as pa

    model = TreeModel.from_dict(json.loads(doc))
    for batch in batches:
        if model.task == "classification":
            probs = model.predict_proba(batch)
            names = list(model.label.classes)
            pred = pa.array([names[i] for i in probs.argmax(axis=1)], type=pa.string()) \
                if len(probs) else pa.array([], type=pa.string())
            prob = pa.array(probs.tolist(), type=pa.list_(pa.float64()))
            yield batch.append_column(PREDICTION, pred).append_column(PROBABILITY, prob)
        else:
            values: Any = model.predict(batch) if batch.num_rows else []
            yield batch.append_column(PREDICTION, pa.array(values, type=pa.float64()))


def predict_table(workspace: Workspace, model_ref: str, table_name: str, output: str
                  ) -> PredictResult:
    """Score ``table_name`` with model ``model_ref`` into the new table ``output``."""
    from pyspark.sql.types import ArrayType, DoubleType, StringType, StructField, StructType

    out_db, out_name = split_table_name(output)
    catalog = workspace.catalog
    if catalog.store.has_table(out_db, out_name):
        raise AlreadyExistsError(f"The output table {output} already exists; choose a new name.")
    version = workspace.registry.get(model_ref)
    model = workspace.registry.load_tree_model(version)
    source = catalog.table(table_name)
    known = {c.name for c in source.all_columns}
    missing = [f for f in model.feature_names if f not in known]
    if missing:
        raise DataError(f"Table {source.qualified_name} lacks column(s) {', '.join(missing)} "
                        f"that model {version.ref} needs.")
    for column in (PREDICTION, PROBABILITY):
        if column in known:
            raise DataError(f"Table {source.qualified_name} already has a {column!r} column; "
                            "rename it before scoring.")
    spark = workspace.spark
    read = read_table(spark, catalog, source.qualified_name, rejects_label="predict")
    added = ([StructField(PREDICTION, StringType(), True),
              StructField(PROBABILITY, ArrayType(DoubleType()), True)]
             if model.task == "classification" else [StructField(PREDICTION, DoubleType(), True)])
    schema = StructType([*read.frame.schema.fields, *added])
    doc = model.to_json()
    scored = read.frame.mapInArrow(lambda it: score_batches(doc, it), schema)
    catalog.create_database(out_db)
    staging = workspace.settings.staging / f"predict-{uuid.uuid4().hex}"
    final = workspace.settings.warehouse / out_db / out_name
    try:
        scored.write.mode("errorifexists").parquet(str(staging))
        rows = spark.read.parquet(str(staging)).count()
        if final.exists():
            raise AlreadyExistsError(f"{final} already exists; remove it or choose a new name.")
        final.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    columns = tuple(ColumnSpec(f.name, f.dataType.simpleString()) for f in schema.fields)
    try:
        info = catalog.save_table(TableWrite(
            database=out_db, name=out_name, location=str(final), format="parquet",
            columns=columns, properties={"classification": "parquet", "recordCount": str(rows),
                                         "model": version.ref,
                                         "source_table": source.qualified_name,
                                         "source_version": str(source.version)}))
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)
        raise
    workspace.refresh_spark_tables()
    return PredictResult(version.ref, info, rows, read.malformed)
