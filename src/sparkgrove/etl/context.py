"""``GlueContext``: reading and writing DynamicFrames on sparkgrove's catalog and warehouse.

Writes are staged: a run writes into ``<workspace>/staging`` and publishes (moves files into
place, updates the catalog, advances bookmarks) only at ``job.commit()`` or when the script ends
without error, so a failed or killed run leaves no new files and no catalog change.
"""

from __future__ import annotations

import contextvars
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkgrove.errors import DataError, NotFoundError
from sparkgrove.etl import choices as ch
from sparkgrove.etl.bookmarks import DISABLE, ENABLE, PAUSE, BookmarkStore
from sparkgrove.etl.dynamicframe import DynamicFrame
from sparkgrove.etl.paths import resolve_path
from sparkgrove.names import split_table_name
from sparkgrove.spark import read_options, spark_schema
from sparkgrove.store.catalog_store import TableWrite
from sparkgrove.store.entities import ColumnSpec
from sparkgrove.workspace import Workspace

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@dataclass
class PendingWrite:
    """Files staged by a writer, and the catalog entry to make when they are published."""

    staging: Path
    target: Path
    format: str
    partition_keys: list[str]
    table: tuple[str, str] | None
    columns: tuple[ColumnSpec, ...]
    rows: int


@dataclass
class EtlRun:
    """One run of a job: its options, staged writes, bookmark updates and counters."""

    workspace: Workspace
    job_name: str = "adhoc"
    bookmark_option: str = DISABLE
    run_id: int | None = None
    pending_writes: list[PendingWrite] = field(default_factory=list)
    bookmark_updates: dict[str, dict[str, float]] = field(default_factory=dict)
    rows_read: int = 0
    rows_written: int = 0
    error_records: int = 0
    committed: bool = False

    def publish(self) -> None:
        """Move staged files into place, update the catalog, advance bookmarks."""
        if self.committed:
            return
        catalog = self.workspace.catalog
        for write in self.pending_writes:
            write.target.mkdir(parents=True, exist_ok=True)
            for source in sorted(write.staging.rglob("*")):
                if source.is_dir() or source.name.startswith((".", "_")):
                    continue
                dest = write.target / source.relative_to(write.staging)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, dest)
            shutil.rmtree(write.staging, ignore_errors=True)
            if write.table is not None:
                self._register(write)
        if self.bookmark_option == ENABLE and self.bookmark_updates:
            BookmarkStore(catalog.database).commit(self.job_name, self.bookmark_updates,
                                                   self.run_id)
        self.committed = True
        self.workspace.refresh_spark_tables()

    def _register(self, write: PendingWrite) -> None:
        assert write.table is not None
        database, name = write.table
        catalog = self.workspace.catalog
        catalog.create_database(database)
        keys = write.partition_keys
        data_columns = tuple(c for c in write.columns if c.name not in keys)
        key_columns = tuple(c for c in write.columns if c.name in keys)
        partitions = []
        if keys:
            for folder in sorted({p.parent for p in write.target.rglob("*.*")
                                  if not p.name.startswith((".", "_"))}):
                rel = folder.relative_to(write.target).parts
                if len(rel) == len(keys):
                    partitions.append((tuple(part.split("=", 1)[1] for part in rel),
                                       str(folder)))
        existing = catalog.store.has_table(database, name)
        records = write.rows
        if existing:
            records += int(catalog.table(f"{database}.{name}").properties.get("recordCount", 0))
        catalog.save_table(TableWrite(
            database=database, name=name, location=str(write.target), format=write.format,
            columns=data_columns, partition_keys=key_columns,
            properties={"classification": write.format, "recordCount": str(records)},
            partitions=tuple(partitions)))

    def discard(self) -> None:
        """Forget staged writes (a failed run)."""
        for write in self.pending_writes:
            shutil.rmtree(write.staging, ignore_errors=True)
        self.pending_writes.clear()
        self.bookmark_updates.clear()


ACTIVE_RUN: contextvars.ContextVar[EtlRun | None] = contextvars.ContextVar(
    "sparkgrove_etl_run", default=None)


def current_run() -> EtlRun:
    """The run a script executes in (a stand-alone one when run outside ``etl run``)."""
    run = ACTIVE_RUN.get()
    if run is None:
        run = EtlRun(Workspace.open())
        ACTIVE_RUN.set(run)
    return run


def _split_fields(inner: str) -> list[str]:
    """Split ``a: BIGINT, b: DECIMAL(3,1), c: OBJECT<x: INT, y: INT>`` at top-level commas."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(inner):
        if char in "<(":
            depth += 1
        elif char in ">)":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    return parts


def _data_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file() and not any(
        part.startswith((".", "_")) for part in p.relative_to(root).parts))


class _Reader:
    def __init__(self, ctx: GlueContext) -> None:
        self._ctx = ctx

    def from_catalog(self, database: str = "", table_name: str = "", *, frame: Any = None,
                     push_down_predicate: str = "", transformation_ctx: str = "",
                     additional_options: dict[str, Any] | None = None, **kwargs: Any
                     ) -> DynamicFrame:
        """Read a catalog table (only partitions matching ``push_down_predicate``, and only
        files new since the bookmark when bookmarks are on and ``transformation_ctx`` given)."""
        db = kwargs.pop("name_space", database)
        catalog = self._ctx.catalog
        table = catalog.table(f"{db}.{table_name}")
        files = _data_files(Path(table.location))
        if push_down_predicate and table.partition_keys:
            files = self._ctx._prune(files, Path(table.location), table.partition_keys,
                                     push_down_predicate)
        return self._ctx._read(files, table.format, base=Path(table.location),
                               columns=table.all_columns, options=read_options(table),
                               ctx=transformation_ctx, name=f"{db}.{table_name}")

    def from_options(self, connection_type: str = "s3", connection_options: dict[str, Any]
                     | None = None, format: str = "json", format_options: dict[str, Any] |
                     None = None, transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        """Read files from ``connection_options["paths"]`` in ``format``."""
        if connection_type not in ("s3", "file"):
            raise DataError(f"from_options supports connection_type 's3' or 'file'; got "
                            f"{connection_type!r}.")
        options = connection_options or {}
        paths = options.get("paths") or ([options["path"]] if "path" in options else [])
        if not paths:
            raise DataError("from_options needs connection_options={'paths': [...]}.")
        files: list[Path] = []
        base = None
        for path in paths:
            local = resolve_path(path, self._ctx.settings)
            if not local.exists():
                raise NotFoundError(f"from_options: {path} ({local}) does not exist.")
            base = base or (local if local.is_dir() else local.parent)
            files += _data_files(local)
        fmt_opts = format_options or {}
        spark_opts: dict[str, str] = {}
        if format == "csv":
            spark_opts = {"header": str(fmt_opts.get("withHeader", False)).lower(),
                          "sep": fmt_opts.get("separator", ","),
                          "quote": fmt_opts.get("quoteChar", '"'), "escape": '"',
                          "inferSchema": "true"}
        assert base is not None
        return self._ctx._read(files, format, base=base, columns=None, options=spark_opts,
                               ctx=transformation_ctx, name=str(paths[0]))


class _Writer:
    def __init__(self, ctx: GlueContext) -> None:
        self._ctx = ctx

    def from_options(self, frame: DynamicFrame, connection_type: str = "s3",
                     connection_options: dict[str, Any] | None = None, format: str = "parquet",
                     format_options: dict[str, Any] | None = None, transformation_ctx: str = "",
                     **kwargs: Any) -> DynamicFrame:
        """Write ``frame`` to ``connection_options["path"]`` (``partitionKeys`` supported)."""
        options = connection_options or {}
        if "path" not in options:
            raise DataError("write_dynamic_frame.from_options needs connection_options="
                            "{'path': ...}.")
        target = resolve_path(options["path"], self._ctx.settings)
        self._ctx._stage_write(frame, target, format, list(options.get("partitionKeys", [])),
                               None, format_options or {})
        return frame

    def from_catalog(self, frame: DynamicFrame, database: str = "", table_name: str = "",
                     transformation_ctx: str = "", additional_options: dict[str, Any] | None
                     = None, **kwargs: Any) -> DynamicFrame:
        """Append ``frame`` to a catalog table, in its location and format."""
        table = self._ctx.catalog.table(f"{database}.{table_name}")
        self._ctx._stage_write(frame, Path(table.location), table.format,
                               [c.name for c in table.partition_keys], (database, table_name),
                               {})
        return frame


class DataSink:
    """``glueContext.getSink(...)``: a writer that can create or update a catalog table."""

    def __init__(self, ctx: GlueContext, path: str, partition_keys: list[str],
                 enable_update_catalog: bool) -> None:
        self._ctx = ctx
        self._path = path
        self._keys = partition_keys
        self._update = enable_update_catalog
        self._format = "parquet"
        self._table: tuple[str, str] | None = None

    def setCatalogInfo(self, catalogDatabase: str, catalogTableName: str) -> None:
        """The table to create or update on write."""
        self._table = split_table_name(f"{catalogDatabase}.{catalogTableName}")

    def setFormat(self, format: str, **options: Any) -> None:
        """``parquet`` (``glueparquet`` too), ``csv`` or ``json``."""
        self._format = "parquet" if format == "glueparquet" else format

    def writeFrame(self, frame: DynamicFrame) -> DynamicFrame:
        """Stage the frame's files and (at commit) register the table and its partitions."""
        target = resolve_path(self._path, self._ctx.settings)
        self._ctx._stage_write(frame, target, self._format, self._keys,
                               self._table if self._update else None, {})
        return frame


class GlueContext:
    """Glue's entry point, bound to the sparkgrove workspace of the current run."""

    def __init__(self, sparkContext: Any = None, **options: Any) -> None:
        self._run = current_run()
        self.workspace = self._run.workspace
        self.settings = self.workspace.settings
        self.catalog = self.workspace.catalog
        self.spark_session: SparkSession = self.workspace.spark
        self.sparkContext = self.spark_session.sparkContext
        self.create_dynamic_frame = _Reader(self)
        self.write_dynamic_frame = _Writer(self)

    def getSink(self, connection_type: str = "s3", path: str = "", partitionKeys: list[str] |
                None = None, enableUpdateCatalog: bool = False, updateBehavior: str = "",
                transformation_ctx: str = "", **kwargs: Any) -> DataSink:
        """A sink writing to ``path``; with ``enableUpdateCatalog`` it registers the table."""
        return DataSink(self, path, list(partitionKeys or []), enableUpdateCatalog)

    def get_logger(self) -> Any:
        """A logger that prints to the run's log."""
        import logging

        return logging.getLogger(f"sparkgrove.etl.{self._run.job_name}")

    # ---- reading -------------------------------------------------------------------------
    def _prune(self, files: list[Path], base: Path, keys: tuple[ColumnSpec, ...],
               predicate: str) -> list[Path]:
        from pyspark.sql import functions as F

        values = []
        for file in files:
            parts = file.parent.relative_to(base).parts
            values.append([p.split("=", 1)[1] if "=" in p else None for p in parts[:len(keys)]])
        if not values:
            return files
        frame = self.spark_session.createDataFrame(
            [(i, *v) for i, v in enumerate(values)],
            "i INT, " + ", ".join(f"`{k.name}` STRING" for k in keys))
        frame = frame.select("i", *[F.col(f"`{k.name}`").cast(k.type).alias(k.name)
                                    for k in keys])
        keep = {r.i for r in frame.filter(predicate).select("i").collect()}
        return [f for i, f in enumerate(files) if i in keep]

    def _read(self, files: list[Path], fmt: str, *, base: Path,
              columns: tuple[ColumnSpec, ...] | None, options: dict[str, str], ctx: str,
              name: str) -> DynamicFrame:
        run = self._run
        if ctx and run.bookmark_option in (ENABLE, PAUSE):
            done = BookmarkStore(self.catalog.database).processed(run.job_name, ctx)
            files = [f for f in files if done.get(str(f)) != f.stat().st_mtime]
            run.bookmark_updates[ctx] = {str(f): f.stat().st_mtime for f in files}
        paths = [str(f) for f in files]
        if fmt == "json":
            frame = self._read_json(paths, base, columns, name)
        else:
            frame = self._read_files(paths, fmt, base, columns, options, name)
        run.rows_read += frame.count()
        run.error_records += frame.errorsCount()
        return frame

    def _read_files(self, paths: list[str], fmt: str, base: Path,
                    columns: tuple[ColumnSpec, ...] | None, options: dict[str, str],
                    name: str) -> DynamicFrame:
        """CSV or Parquet; CSV records that do not fit the columns become error records."""
        from pyspark.sql import functions as F

        from sparkgrove.spark import CORRUPT_COLUMN

        spark = self.spark_session
        if not paths:
            if columns is None:
                raise NotFoundError(f"No data files to read in {name}.")
            return DynamicFrame(spark.createDataFrame([], spark_schema(columns)), self, name)
        reader = spark.read.format(fmt).options(basePath=str(base), **options)
        checked = fmt == "csv" and columns is not None
        if columns is not None:
            reader = reader.schema(spark_schema(columns, corrupt=checked))
        df = reader.load(paths)
        if not checked:
            return DynamicFrame(df, self, name)
        df = df.cache()
        bad = df.filter(F.col(CORRUPT_COLUMN).isNotNull())
        count = bad.count()
        good = df.filter(F.col(CORRUPT_COLUMN).isNull()).drop(CORRUPT_COLUMN)
        errors = bad.select(F.col(CORRUPT_COLUMN).alias("record"),
                            F.lit("does not match the table's columns or types").alias("error"),
                            F.lit(f"read {name}").alias("transformation"))
        return DynamicFrame(good, self, name, errors=errors if count else None,
                            stage_errors=count, total_errors=count)

    def _read_json(self, paths: list[str], base: Path, columns: tuple[ColumnSpec, ...] | None,
                   name: str) -> DynamicFrame:
        """JSON lines through Spark's VARIANT: fields with several types become choices,
        lines that are not JSON objects are kept aside as error records."""
        from pyspark.sql import functions as F

        spark = self.spark_session
        if not paths:
            if columns is None:
                raise NotFoundError(f"No data files to read in {name}.")
            return DynamicFrame(spark.createDataFrame([], spark_schema(columns)), self, name)
        text = spark.read.option("basePath", str(base)).text(paths).withColumn(
            "__v", F.try_parse_json("value")).cache()
        bad = text.filter(F.col("__v").isNull() | (F.schema_of_variant("__v") == "NULL") |
                          ~F.schema_of_variant("__v").startswith("OBJECT"))
        good = text.filter(F.col("__v").isNotNull() &
                           F.schema_of_variant("__v").startswith("OBJECT"))
        error_count = bad.count()
        merged = good.agg(F.schema_of_variant_agg("__v")).collect()[0][0] or "OBJECT<>"
        fields = [f for f in _split_fields(merged[len("OBJECT<"):-1]) if f.strip()]
        selected = []
        found_choices: dict[str, tuple[str, ...]] = {}
        partition_cols = [c for c in text.columns if c not in ("value", "__v")]
        for spec in fields:
            key, _, kind = spec.partition(":")
            key, kind = key.strip().strip("`"), kind.strip()
            path = "$['" + key.replace("'", "\\'") + "']"
            if kind == "VARIANT":
                kinds = [r[0] for r in good.select(F.schema_of_variant(
                    F.variant_get("__v", path, "variant"))).distinct().collect()]
                branches = sorted({b for b in (ch.branch_of(k) for k in kinds) if b})
                found_choices[key] = tuple(branches)
                selected.append(ch.choice_column(F.col("__v"), path, branches).alias(key))
            else:
                ddl = re.sub(r"DECIMAL\(\d+,\s*\d+\)", "DOUBLE", kind.replace(
                    "OBJECT<", "STRUCT<").replace("VOID", "STRING"))
                selected.append(F.variant_get("__v", path, ddl).alias(key))
        df = good.select(*selected, *partition_cols)
        errors = bad.select(F.col("value").alias("record"),
                            F.lit("not a JSON object").alias("error"),
                            F.lit(f"read {name}").alias("transformation"))
        return DynamicFrame(df, self, name, choices=found_choices,
                            errors=errors if error_count else None, stage_errors=error_count,
                            total_errors=error_count)

    # ---- writing -------------------------------------------------------------------------
    def _stage_write(self, frame: DynamicFrame, target: Path, fmt: str, keys: list[str],
                     table: tuple[str, str] | None, options: dict[str, Any]) -> None:
        df = frame.toDF()
        missing = [k for k in keys if k not in df.columns]
        if missing:
            raise DataError(f"partitionKeys {missing} are not fields of the frame; fields: "
                            f"{', '.join(df.columns)}.")
        staging = self.settings.staging / f"etl-{uuid.uuid4().hex}"
        writer = df.write.mode("errorifexists").format(fmt)
        if keys:
            writer = writer.partitionBy(*keys)
        if fmt == "csv":
            writer = writer.option("header", "true")
        writer.save(str(staging))
        rows = self.spark_session.read.format(fmt).schema(df.schema).options(
            **({"header": "true"} if fmt == "csv" else {})).load(str(staging)).count()
        columns = tuple(ColumnSpec(f.name, f.dataType.simpleString()) for f in df.schema.fields)
        self._run.pending_writes.append(PendingWrite(staging, target, fmt, keys, table,
                                                     columns, rows))
        self._run.rows_written += rows
