"""Batch scoring of a catalog table with a registered model, on Spark.

The model's portable ``TreeModel`` is mapped over Arrow batches of the table; the scored rows
are written as Parquet to a staging folder, renamed into the warehouse, and only then
registered in the catalog, so the output table appears whole or not at all.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparkgrove.errors import AlreadyExistsError, ConfigError, DataError
from sparkgrove.jsonable import to_jsonable
from sparkgrove.names import split_table_name
from sparkgrove.spark import map_spark_errors, read_table
from sparkgrove.staging import put_in_place, staged
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
        return {"model": self.model, "output": to_jsonable(self.table), "rows": self.rows,
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


ENGINES = ("auto", "local", "spark")


def predict_table(workspace: Workspace, model_ref: str, table_name: str, output: str, *,
                  engine: str = "auto") -> PredictResult:
    """Score ``table_name`` with model ``model_ref`` into the new table ``output``.

    ``engine="local"`` reads, scores and writes in-process with Arrow (no JVM); ``spark`` maps
    the model over the table on Spark; ``auto`` is local when the table fits comfortably in
    memory and its format is one the in-process reader takes.
    """
    from sparkgrove.catalog.arrow_reader import supports

    if engine not in ENGINES:
        raise ConfigError(f"The engine must be one of {', '.join(ENGINES)}; got {engine!r}.")
    out_db, out_name = split_table_name(output)
    catalog = workspace.catalog
    if catalog.has_table(f"{out_db}.{out_name}"):
        raise AlreadyExistsError(f"The output table {output} already exists; choose a new name.")
    version = workspace.registry.get(model_ref)
    model = workspace.registry.load_tree_model(version)
    source = catalog.table(table_name)
    known = {c.name for c in source.all_columns}
    by_lower: dict[str, list[str]] = {}
    for name in known:
        by_lower.setdefault(name.lower(), []).append(name)
    spelled: dict[str, str | None] = {  # matched as Spark matches names: ignoring case
        f: f if f in known else next(iter(by_lower.get(f.lower(), [])), None)
        for f in model.feature_names}
    missing = [f for f, found in spelled.items() if found is None]
    if missing:
        raise DataError(f"Table {source.qualified_name} lacks column(s) {', '.join(missing)} "
                        f"that model {version.ref} needs.")
    if any(spelled[f] != f for f in model.feature_names):
        model = dataclasses.replace(model, features=tuple(
            dataclasses.replace(f, name=str(spelled[f.name])) for f in model.features))
    for column in (PREDICTION, PROBABILITY):
        if column in known:
            raise DataError(f"Table {source.qualified_name} already has a {column!r} column; "
                            "rename it before scoring.")
    if engine == "auto":
        from sparkgrove.training import choose_engine

        rows = int(source.properties.get("recordCount", 0) or 0)
        engine = choose_engine(rows, len(source.all_columns))
    if engine == "local" and supports(source):
        return _predict_in_process(workspace, version.ref, model, source, out_db, out_name)
    with map_spark_errors(f"scoring {source.qualified_name}"):
        from pyspark.sql.types import ArrayType, DoubleType, StringType, StructField, StructType

        spark = workspace.spark
        read = read_table(spark, catalog, source, rejects_label="predict")
        added = ([StructField(PREDICTION, StringType(), True),
                  StructField(PROBABILITY, ArrayType(DoubleType()), True)]
                 if model.task == "classification" else [StructField(PREDICTION, DoubleType(), True)])
        schema = StructType([*read.frame.schema.fields, *added])
        doc = model.to_json()
        scored = read.frame.mapInArrow(lambda it: score_batches(doc, it), schema)
        catalog.create_database(out_db)

        def write(staging: Path) -> int:
            scored.write.mode("errorifexists").parquet(str(staging))
            return int(spark.read.parquet(str(staging)).count())

        final, rows = _publish(workspace, out_db, out_name, write)
        columns = tuple(ColumnSpec(f.name, f.dataType.simpleString()) for f in schema.fields)
        info = _register_output(workspace, version.ref, source, out_db, out_name, final, columns,
                                rows)
        workspace.refresh_spark_tables()
        return PredictResult(version.ref, info, rows, read.malformed)


def _publish(workspace: Workspace, out_db: str, out_name: str,
             write: Callable[[Path], int]) -> tuple[Path, int]:
    """Write the output into a staging folder, then rename it into the warehouse: it appears
    whole or not at all. Returns its final place and its row count."""
    final = workspace.settings.warehouse / out_db / out_name
    with staged(workspace.settings.staging, "predict") as outer:
        rows = write(outer / "data")  # the writer makes this folder itself
        put_in_place(outer / "data", final)
    return final, rows


def _register_output(workspace: Workspace, model_ref: str, source: TableInfo, out_db: str,
                     out_name: str, final: Path, columns: tuple[ColumnSpec, ...], rows: int
                     ) -> TableInfo:
    """Record the scored table in the catalog (the data is in place already); on failure the
    data folder goes, so nothing is half-published."""
    try:
        return workspace.catalog.save_table(TableWrite(
            database=out_db, name=out_name, location=str(final), format="parquet",
            columns=columns, properties={"classification": "parquet", "recordCount": str(rows),
                                         "model": model_ref,
                                         "source_table": source.qualified_name,
                                         "source_version": str(source.version)}))
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)
        raise


def _predict_in_process(workspace: Workspace, model_ref: str, model: TreeModel,
                        source: TableInfo, out_db: str, out_name: str) -> PredictResult:
    """Read with Arrow, score with the ``TreeModel``, write Parquet to staging, rename it into
    the warehouse, then register: no JVM."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sparkgrove.catalog.arrow_reader import read_table_arrow

    catalog = workspace.catalog
    read = read_table_arrow(catalog, source, rejects_label="predict")
    scored = pa.Table.from_batches(list(score_batches(model.to_json(),
                                                      iter(read.table.to_batches()))))
    if scored.num_columns == 0 or scored.num_rows == 0:
        scored = _empty_scored(read.table.schema, model)
    def write(staging: Path) -> int:
        staging.mkdir(parents=True)
        pq.write_table(scored, staging / "part-00000.parquet")
        return int(scored.num_rows)

    final, _ = _publish(workspace, out_db, out_name, write)
    kinds = {c.name: c.type for c in source.all_columns}
    columns = tuple(ColumnSpec(f.name, kinds.get(f.name) or _spark_type(f.type))
                    for f in scored.schema)
    catalog.create_database(out_db)
    info = _register_output(workspace, model_ref, source, out_db, out_name, final, columns,
                            scored.num_rows)
    workspace.refresh_spark_tables()  # only when a session already runs: no JVM is started
    return PredictResult(model_ref, info, scored.num_rows, read.malformed)


def _empty_scored(schema: Any, model: TreeModel) -> Any:
    import pyarrow as pa

    extra = ([pa.field(PREDICTION, pa.string()), pa.field(PROBABILITY, pa.list_(pa.float64()))]
             if model.task == "classification" else [pa.field(PREDICTION, pa.float64())])
    return pa.schema([*schema, *extra]).empty_table()


def _spark_type(kind: Any) -> str:
    import pyarrow as pa

    if pa.types.is_list(kind):
        return "array<double>"
    return "string" if pa.types.is_string(kind) else "double"
