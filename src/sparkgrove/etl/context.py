"""``GlueContext``: reading and writing DynamicFrames on sparkgrove's catalog and warehouse.

Writes are staged: a run writes into ``<workspace>/staging`` and publishes (moves files into
place, updates the catalog, advances bookmarks) only at ``job.commit()`` or when the script ends
without error, so a failed or killed run leaves no new files and no catalog change.
"""

from __future__ import annotations

import contextvars
import json
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkgrove.errors import DataError, NotFoundError, NotOfferedError
from sparkgrove.etl import choices as ch
from sparkgrove.etl.bookmarks import DISABLE, ENABLE, PAUSE
from sparkgrove.etl.dynamicframe import DynamicFrame, DynamicFrameCollection
from sparkgrove.etl.glue_api import refuse
from sparkgrove.etl.paths import mount_object_store, resolve_path
from sparkgrove.names import split_table_name
from sparkgrove.spark import read_options, spark_schema
from sparkgrove.staging import new_staging
from sparkgrove.store.bookmark_store import BookmarkStore
from sparkgrove.store.entities import ColumnSpec
from sparkgrove.workspace import Workspace

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


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
        """Move staged files into place, update the catalog, advance bookmarks: journaled
        first, so that a kill at any point is finished by the next run (see
        :mod:`sparkgrove.etl.publish`)."""
        from sparkgrove.etl.publish import Plan, TablePlan, publish

        if self.committed:
            return
        plan = Plan.new(self.job_name, self.run_id)
        stamp, number = int(time.time() * 1000), 0
        for write in self.pending_writes:
            write.target.mkdir(parents=True, exist_ok=True)
            parts = [p for p in sorted(write.staging.rglob("*")) if p.is_file()
                     and not p.name.startswith((".", "_"))] if write.staging.exists() else []
            for source in parts:
                name = glue_file_name(source.name, stamp, number)
                number += 1
                dest = write.target / source.parent.relative_to(write.staging) / name
                plan.moves.append([str(source), str(dest)])
            plan.staging.append(str(write.staging.parent))
            if write.table is not None:
                plan.tables.append(TablePlan(
                    database=write.table[0], name=write.table[1], location=str(write.target),
                    format=write.format, columns=[[c.name, c.type] for c in write.columns],
                    partition_keys=list(write.partition_keys), rows=write.rows))
        if self.bookmark_option == ENABLE and self.bookmark_updates:
            plan.bookmarks = dict(self.bookmark_updates)
        publish(self.workspace, plan)
        self.committed = True
        self.workspace.refresh_spark_tables()

    def discard(self) -> None:
        """Forget staged writes (a failed run)."""
        for write in self.pending_writes:
            shutil.rmtree(write.staging.parent, ignore_errors=True)
        self.pending_writes.clear()
        self.bookmark_updates.clear()


def glue_file_name(spark_name: str, stamp: int, number: int) -> str:
    """Glue's output file name, ``run-<millis>-part-r-<nnnnn>``, keeping Spark's extension
    (``.snappy.parquet``, ``.json``, ``.csv``) so readers and the crawler know the format."""
    ext = ""
    for suffix in (".snappy.parquet", ".gz.parquet", ".zstd.parquet", ".parquet", ".snappy.orc",
                   ".orc", ".json", ".csv", ".gz"):
        if spark_name.endswith(suffix):
            ext = suffix
            break
    return f"run-{stamp}-part-r-{number:05d}{ext}"


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


def _data_files(root: Path, recurse: bool = True) -> list[Path]:
    if root.is_file():
        return [root]
    found = root.rglob("*") if recurse else root.glob("*")
    return sorted(p for p in found if p.is_file() and not any(
        part.startswith((".", "_")) for part in p.relative_to(root).parts))


FORMATS = {"json": "json", "csv": "csv", "parquet": "parquet", "glueparquet": "parquet",
           "orc": "orc"}
CONNECTION_TYPES = ("s3", "file")


def spark_format(format: str | None, default: str = "json") -> str:
    """The Spark source for a Glue ``format`` (``glueparquet`` is Parquet)."""
    name = (format or default).lower()
    if name not in FORMATS:
        raise DataError(f"format={format!r} is not offered; use one of "
                        f"{', '.join(sorted(FORMATS))}.")
    return FORMATS[name]


def _check_connection(connection_type: str, what: str) -> None:
    if connection_type.lower() not in CONNECTION_TYPES:
        raise NotOfferedError(
            f"{what}: connection_type={connection_type!r} reaches an external service, which "
            "sparkgrove does not offer; use 's3' (mapped to the workspace's object store) or "
            "'file'.")


def _paths_of(options: dict[str, Any]) -> list[str]:
    paths = options.get("paths") or ([options["path"]] if options.get("path") else [])
    if isinstance(paths, str):
        paths = [paths]
    return [str(p) for p in paths]


class DynamicFrameReader:
    """``glueContext.create_dynamic_frame``: ``from_catalog``, ``from_options``, ``from_rdd``."""

    def __init__(self, glue_context: GlueContext) -> None:
        self._ctx = glue_context

    def from_rdd(self, data: Any, name: str, schema: Any = None, sampleRatio: float | None = None
                 ) -> DynamicFrame:
        """A frame of an RDD or list of records."""
        df = self._ctx.spark_session.createDataFrame(data, schema=schema,
                                                     samplingRatio=sampleRatio)
        return DynamicFrame(df, self._ctx, name)

    def from_catalog(self, database: str | None = None, table_name: str | None = None,
                     redshift_tmp_dir: str = "", transformation_ctx: str = "",
                     push_down_predicate: str = "",
                     additional_options: dict[str, Any] | None = None,
                     catalog_id: str | None = None, **kwargs: Any) -> DynamicFrame:
        """Read a catalog table (only partitions matching ``push_down_predicate``, and only
        files new since the bookmark when bookmarks are on and ``transformation_ctx`` given).
        Names match case-insensitively, as the Glue catalog stores them in lower case."""
        db = kwargs.pop("name_space", None) or database
        if not db or not table_name:
            raise DataError("from_catalog needs database= and table_name=.")
        predicate = push_down_predicate or (additional_options or {}).get(
            "catalogPartitionPredicate", "")
        return self._ctx._read_table(db, table_name, predicate, transformation_ctx)

    def from_options(self, connection_type: str, connection_options: dict[str, Any] | None
                     = None, format: str | None = None, format_options: dict[str, Any] | None
                     = None, transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        """Read files from ``connection_options["paths"]`` in ``format``."""
        _check_connection(connection_type, "create_dynamic_frame.from_options")
        options = connection_options or {}
        paths = _paths_of(options)
        if not paths:
            raise DataError("from_options needs connection_options={'paths': [...]}.")
        fmt = spark_format(format)
        files: list[Path] = []
        base = None
        recurse = str(options.get("recurse", True)).lower() != "false"
        for path in paths:
            local = resolve_path(path, self._ctx.settings)
            if not local.exists():
                raise NotFoundError(f"from_options: {path} ({local}) does not exist.")
            base = base or (local if local.is_dir() else local.parent)
            files += _data_files(local, recurse)
        excluded = options.get("exclusions")
        if excluded:
            import fnmatch

            patterns = json.loads(excluded) if isinstance(excluded, str) else list(excluded)
            files = [f for f in files if not any(
                fnmatch.fnmatch(str(f), str(resolve_path(p, self._ctx.settings)))
                or fnmatch.fnmatch(f.name, p) for p in patterns)]
        assert base is not None
        fmt_opts = format_options or {}
        spark_opts: dict[str, str] = {}
        if fmt == "csv":
            spark_opts = {"header": str(fmt_opts.get("withHeader", False)).lower(),
                          "sep": str(fmt_opts.get("separator", ",")),
                          "quote": str(fmt_opts.get("quoteChar", '"')),
                          "escape": str(fmt_opts.get("escaper", '"') or '"'),
                          "multiLine": str(fmt_opts.get("multiLine", False)).lower()}
        return self._ctx._read(files, fmt, base=base, columns=None, options=spark_opts,
                               ctx=transformation_ctx, name=str(paths[0]))


class DynamicFrameWriter:
    """``glueContext.write_dynamic_frame``: ``from_options``, ``from_catalog``."""

    def __init__(self, glue_context: GlueContext) -> None:
        self._ctx = glue_context

    def from_options(self, frame: DynamicFrame, connection_type: str,
                     connection_options: dict[str, Any] | None = None,
                     format: str | None = None, format_options: dict[str, Any] | None = None,
                     transformation_ctx: str = "") -> DynamicFrame:
        """Write ``frame`` to ``connection_options["path"]`` (``partitionKeys`` supported)."""
        _check_connection(connection_type, "write_dynamic_frame.from_options")
        options = connection_options or {}
        if not options.get("path"):
            raise DataError("write_dynamic_frame.from_options needs connection_options="
                            "{'path': ...}.")
        target = resolve_path(str(options["path"]), self._ctx.settings)
        self._ctx._stage_write(frame, target, spark_format(format),
                               list(options.get("partitionKeys", [])), None,
                               format_options or {})
        return frame

    def from_catalog(self, frame: DynamicFrame, database: str | None = None,
                     table_name: str | None = None, redshift_tmp_dir: str = "",
                     transformation_ctx: str = "",
                     additional_options: dict[str, Any] | None = None,
                     catalog_id: str | None = None) -> DynamicFrame:
        """Append ``frame`` to a catalog table, in its location and format."""
        if not database or not table_name:
            raise DataError("write_dynamic_frame.from_catalog needs database= and table_name=.")
        table = self._ctx.catalog.table(f"{database}.{table_name}")
        self._ctx._stage_write(frame, Path(table.location), table.format,
                               [c.name for c in table.partition_keys],
                               (table.database, table.name), {})
        return frame

    def from_jdbc_conf(self, frame: DynamicFrame, catalog_connection: str,
                       connection_options: dict[str, Any] | None = None,
                       redshift_tmp_dir: str = "", transformation_ctx: str = "",
                       catalog_id: str | None = None) -> DynamicFrame:
        """Not offered: JDBC sinks reach external services."""
        refuse("DynamicFrameWriter.from_jdbc_conf")


class DataSink:
    """``glueContext.getSink(...)``: a writer that can create or update a catalog table."""

    def __init__(self, ctx: GlueContext, path: str, partition_keys: list[str],
                 enable_update_catalog: bool, format: str | None = None) -> None:
        self._ctx = ctx
        self._path = path
        self._keys = partition_keys
        self._update = enable_update_catalog
        self._format = spark_format(format, "parquet")
        self._table: tuple[str, str] | None = None

    def setCatalogInfo(self, catalogDatabase: str, catalogTableName: str,
                       catalogId: str | None = None) -> None:
        """The table to create or update on write."""
        self._table = split_table_name(f"{catalogDatabase}.{catalogTableName}".lower())

    def setFormat(self, format: str, **options: Any) -> None:
        """``parquet`` (``glueparquet`` too), ``csv``, ``json`` or ``orc``."""
        self._format = spark_format(format)

    def writeFrame(self, dynamic_frame: DynamicFrame, info: str = "") -> DynamicFrame:
        """Stage the frame's files and (at commit) register the table and its partitions."""
        if self._update and self._table is None:
            raise DataError("getSink(enableUpdateCatalog=True) needs sink.setCatalogInfo("
                            "catalogDatabase=..., catalogTableName=...) before writeFrame.")
        if not self._path:
            raise DataError("getSink needs path='s3://bucket/prefix/' (or a local folder).")
        target = resolve_path(self._path, self._ctx.settings)
        self._ctx._stage_write(dynamic_frame, target, self._format, self._keys,
                               self._table if self._update else None, {})
        return dynamic_frame

    def write(self, dynamic_frame_or_dfc: Any, info: str = "") -> Any:
        """``writeFrame`` for a frame, or for each frame of a collection."""
        if isinstance(dynamic_frame_or_dfc, DynamicFrameCollection):
            return [self.writeFrame(f, info) for f in dynamic_frame_or_dfc.values()]
        return self.writeFrame(dynamic_frame_or_dfc, info)


class DataSource:
    """``glueContext.getSource(...)``: a reader configured now, read by ``getFrame()``."""

    def __init__(self, ctx: GlueContext, connection_type: str, transformation_ctx: str,
                 options: dict[str, Any]) -> None:
        self._ctx = ctx
        self._type = connection_type
        self._ctx_name = transformation_ctx
        self._options = dict(options)
        self._format: str | None = options.pop("format", None)
        self._format_options: dict[str, Any] = {}

    def setFormat(self, format: str, **options: Any) -> None:
        """The files' format and its options (``withHeader`` and so on)."""
        self._format = format
        self._format_options = options

    def getFrame(self, **options: Any) -> DynamicFrame:
        """Read the source."""
        if self._type.lower() == "catalog" or "database" in self._options:
            return self._ctx.create_dynamic_frame_from_catalog(
                self._options.get("database", ""), self._options.get("table_name", ""),
                transformation_ctx=self._ctx_name,
                push_down_predicate=self._options.get("push_down_predicate", ""))
        return self._ctx.create_dynamic_frame_from_options(
            self._type, self._options, self._format, self._format_options, self._ctx_name)


class GlueContext:
    """Glue's entry point, bound to the sparkgrove workspace of the current run."""

    def __init__(self, sparkContext: Any, **options: Any) -> None:
        self._run = current_run()
        self.workspace = self._run.workspace
        self.settings = self.workspace.settings
        self.catalog = self.workspace.catalog
        self.spark_session: SparkSession = self.workspace.spark
        self.sparkContext = self.spark_session.sparkContext
        self._sc = self.sparkContext
        mount_object_store(self.spark_session, self.settings)
        self.create_dynamic_frame = DynamicFrameReader(self)
        self.write_dynamic_frame = DynamicFrameWriter(self)

    def __getattr__(self, name: str) -> Any:
        # Glue's GlueContext is a SQLContext: sql, table, read, createDataFrame, udf, ...
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.__dict__["spark_session"], name)

    # ---- reading -------------------------------------------------------------------------
    def create_dynamic_frame_from_rdd(self, data: Any, name: str, schema: Any = None,
                                      sample_ratio: float | None = None,
                                      transformation_ctx: str = "") -> DynamicFrame:
        """A frame of an RDD or list of records."""
        return self.create_dynamic_frame.from_rdd(data, name, schema, sample_ratio)

    def create_dynamic_frame_from_catalog(self, database: str, table_name: str,
                                          redshift_tmp_dir: str = "",
                                          transformation_ctx: str = "",
                                          push_down_predicate: str = "",
                                          additional_options: dict[str, Any] | None = None,
                                          catalog_id: str | None = None) -> DynamicFrame:
        """``create_dynamic_frame.from_catalog``."""
        return self.create_dynamic_frame.from_catalog(
            database, table_name, redshift_tmp_dir, transformation_ctx, push_down_predicate,
            additional_options, catalog_id)

    def create_dynamic_frame_from_options(self, connection_type: str,
                                          connection_options: dict[str, Any] | None = None,
                                          format: str | None = None,
                                          format_options: dict[str, Any] | None = None,
                                          transformation_ctx: str = "") -> DynamicFrame:
        """``create_dynamic_frame.from_options``."""
        return self.create_dynamic_frame.from_options(
            connection_type, connection_options, format, format_options, transformation_ctx)

    def create_sample_dynamic_frame_from_catalog(
            self, database: str, table_name: str, num: int, redshift_tmp_dir: str = "",
            transformation_ctx: str = "", push_down_predicate: str = "",
            additional_options: dict[str, Any] | None = None,
            sample_options: dict[str, Any] | None = None, catalog_id: str | None = None
    ) -> DynamicFrame:
        """The first ``num`` records of a catalog table."""
        frame = self.create_dynamic_frame_from_catalog(
            database, table_name, redshift_tmp_dir, transformation_ctx, push_down_predicate,
            additional_options, catalog_id)
        return frame._derive(frame.toDF().limit(int(num)), frame.name)

    def create_sample_dynamic_frame_from_options(
            self, connection_type: str, connection_options: dict[str, Any] | None = None,
            num: int | None = None, sample_options: dict[str, Any] | None = None,
            format: str | None = None, format_options: dict[str, Any] | None = None,
            transformation_ctx: str = "") -> DynamicFrame:
        """The first ``num`` records read from files."""
        frame = self.create_dynamic_frame_from_options(
            connection_type, connection_options, format, format_options, transformation_ctx)
        return frame if num is None else frame._derive(frame.toDF().limit(int(num)),
                                                       frame.name)

    def add_ingestion_time_columns(self, dataFrame: DataFrame, timeGranularity: str = ""
                                   ) -> DataFrame:
        """``ingest_year``, ``ingest_month``, ``ingest_day`` and ``ingest_hour`` columns
        down to ``timeGranularity`` (``hour`` by default)."""
        from pyspark.sql import functions as F

        levels = ["year", "month", "day", "hour", "minute"]
        grain = (timeGranularity or "hour").lower()
        if grain not in levels:
            raise DataError(f"timeGranularity must be one of {', '.join(levels)}; got "
                            f"{timeGranularity!r}.")
        now = F.current_timestamp()
        funcs = {"year": F.year, "month": F.month, "day": F.dayofmonth, "hour": F.hour,
                 "minute": F.minute}
        out = dataFrame
        for level in levels[:levels.index(grain) + 1]:
            out = out.withColumn(f"ingest_{level}", F.lpad(funcs[level](now).cast("string"),
                                                          4 if level == "year" else 2, "0"))
        return out

    def create_data_frame_from_catalog(self, database: str, table_name: str,
                                       transformation_ctx: str = "",
                                       additional_options: dict[str, Any] | None = None
                                       ) -> DataFrame:
        """A catalog table as a DataFrame."""
        return self.create_dynamic_frame_from_catalog(
            database, table_name, transformation_ctx=transformation_ctx,
            additional_options=additional_options).toDF()

    def create_data_frame_from_options(self, connection_type: str,
                                       connection_options: dict[str, Any] | None = None,
                                       format: str | None = None,
                                       format_options: dict[str, Any] | None = None,
                                       transformation_ctx: str = "") -> DataFrame:
        """Files as a DataFrame."""
        return self.create_dynamic_frame_from_options(
            connection_type, connection_options, format, format_options,
            transformation_ctx).toDF()

    def forEachBatch(self, frame: Any, batch_function: Any,
                     options: dict[str, Any] | None = None) -> None:
        """Not offered: streaming sources."""
        refuse("GlueContext.forEachBatch")

    def getSource(self, connection_type: str, transformation_ctx: str = "",
                  **options: Any) -> DataSource:
        """A source to read with ``getFrame()``."""
        if connection_type.lower() != "catalog" and "database" not in options:
            _check_connection(connection_type, "getSource")
        return DataSource(self, connection_type, transformation_ctx, options)

    # ---- writing -------------------------------------------------------------------------
    def getSink(self, connection_type: str, format: str | None = None,
                transformation_ctx: str = "", **options: Any) -> DataSink:
        """A sink writing to ``path``; with ``enableUpdateCatalog`` it registers the table
        (``updateBehavior`` and ``partitionKeys`` as Glue takes them)."""
        _check_connection(connection_type, "getSink")
        keys = options.get("partitionKeys") or []
        return DataSink(self, str(options.get("path", "")), list(keys),
                        str(options.get("enableUpdateCatalog", False)).lower() == "true",
                        format)

    def write_dynamic_frame_from_options(self, frame: DynamicFrame, connection_type: str,
                                         connection_options: dict[str, Any] | None = None,
                                         format: str | None = None,
                                         format_options: dict[str, Any] | None = None,
                                         transformation_ctx: str = "") -> DynamicFrame:
        """``write_dynamic_frame.from_options``."""
        return self.write_dynamic_frame.from_options(
            frame, connection_type, connection_options, format, format_options,
            transformation_ctx)

    def write_from_options(self, frame_or_dfc: Any, connection_type: str,
                           connection_options: dict[str, Any] | None = None,
                           format: str | None = None,
                           format_options: dict[str, Any] | None = None,
                           transformation_ctx: str = "") -> Any:
        """Write a frame, or every frame of a collection (each under ``path/<name>``)."""
        if isinstance(frame_or_dfc, DynamicFrameCollection):
            base = (connection_options or {}).get("path", "").rstrip("/")
            return [self.write_dynamic_frame_from_options(
                frame_or_dfc.select(key), connection_type,
                {**(connection_options or {}), "path": f"{base}/{key}"}, format,
                format_options, transformation_ctx) for key in frame_or_dfc]
        return self.write_dynamic_frame_from_options(
            frame_or_dfc, connection_type, connection_options, format, format_options,
            transformation_ctx)

    def write_dynamic_frame_from_catalog(self, frame: DynamicFrame, database: str,
                                         table_name: str, redshift_tmp_dir: str = "",
                                         transformation_ctx: str = "",
                                         additional_options: dict[str, Any] | None = None,
                                         catalog_id: str | None = None) -> DynamicFrame:
        """``write_dynamic_frame.from_catalog``."""
        return self.write_dynamic_frame.from_catalog(
            frame, database, table_name, redshift_tmp_dir, transformation_ctx,
            additional_options, catalog_id)

    def write_data_frame_from_catalog(self, frame: DataFrame, database: str, table_name: str,
                                      redshift_tmp_dir: str = "", transformation_ctx: str = "",
                                      additional_options: dict[str, Any] | None = None,
                                      catalog_id: str | None = None) -> DataFrame:
        """Append a DataFrame to a catalog table."""
        self.write_dynamic_frame_from_catalog(
            DynamicFrame(frame, self, table_name), database, table_name, redshift_tmp_dir,
            transformation_ctx, additional_options, catalog_id)
        return frame

    def write_dynamic_frame_from_jdbc_conf(self, frame: DynamicFrame, catalog_connection: str,
                                           connection_options: dict[str, Any] | None = None,
                                           redshift_tmp_dir: str = "",
                                           transformation_ctx: str = "",
                                           catalog_id: str | None = None) -> DynamicFrame:
        """Not offered: JDBC sinks reach external services."""
        refuse("GlueContext.write_dynamic_frame_from_jdbc_conf")

    def write_from_jdbc_conf(self, frame_or_dfc: Any, catalog_connection: str,
                             connection_options: dict[str, Any] | None = None,
                             redshift_tmp_dir: str = "", transformation_ctx: str = "",
                             catalog_id: str | None = None) -> Any:
        """Not offered: JDBC sinks reach external services."""
        refuse("GlueContext.write_from_jdbc_conf")

    def extract_jdbc_conf(self, connection_name: str, catalog_id: str | None = None
                          ) -> dict[str, Any]:
        """Not offered: Glue connections are AWS resources."""
        refuse("GlueContext.extract_jdbc_conf")

    # ---- maintenance ---------------------------------------------------------------------
    def purge_table(self, database: str, table_name: str, options: dict[str, Any] | None
                    = None, transformation_ctx: str = "", catalog_id: str | None = None
                    ) -> None:
        """Delete a catalog table's files (the table stays), ``retentionPeriod`` hours
        (168 by default, as in Glue) protecting recent files."""
        table = self.catalog.table(f"{database}.{table_name}")
        self._purge(Path(table.location), options or {})

    def purge_s3_path(self, s3_path: str, options: dict[str, Any] | None = None,
                      transformation_ctx: str = "") -> None:
        """Delete the files under a path older than ``retentionPeriod`` hours (168 by
        default, as in Glue; 0 deletes them all), except ``excludeStorageClasses``."""
        self._purge(resolve_path(s3_path, self.settings), options or {})

    def _purge(self, root: Path, options: dict[str, Any]) -> None:
        import time

        hours = float(options.get("retentionPeriod", 168))
        cutoff = time.time() - hours * 3600
        if not root.exists():
            return
        for file in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if file.is_file() and file.stat().st_mtime < cutoff:
                file.unlink()

    def transition_table(self, database: str, table_name: str, transition_to: str,
                         options: dict[str, Any] | None = None, transformation_ctx: str = "",
                         catalog_id: str | None = None) -> None:
        """Not offered: S3 storage classes."""
        refuse("GlueContext.transition_table")

    def transition_s3_path(self, s3_path: str, transition_to: str,
                           options: dict[str, Any] | None = None,
                           transformation_ctx: str = "") -> None:
        """Not offered: S3 storage classes."""
        refuse("GlueContext.transition_s3_path")

    def begin_transaction(self, read_only: bool) -> str:
        """Not offered: Lake Formation transactions."""
        refuse("GlueContext.begin_transaction")

    def commit_transaction(self, transaction_id: str, wait_for_commit: bool = True) -> bool:
        """Not offered: Lake Formation transactions."""
        refuse("GlueContext.commit_transaction")

    def cancel_transaction(self, transaction_id: str) -> None:
        """Not offered: Lake Formation transactions."""
        refuse("GlueContext.cancel_transaction")

    def get_logger(self) -> Any:
        """A logger that prints to the run's log."""
        import logging

        return logging.getLogger(f"sparkgrove.etl.{self._run.job_name}")

    # ---- reading (internals) -------------------------------------------------------------
    def _read_table(self, database: str, table_name: str, predicate: str, ctx: str
                    ) -> DynamicFrame:
        table = self.catalog.table(f"{database}.{table_name}")
        files = _data_files(Path(table.location))
        if predicate and table.partition_keys:
            files = self._prune(files, Path(table.location), table.partition_keys, predicate)
        return self._read(files, table.format, base=Path(table.location),
                          columns=table.all_columns, options=read_options(table), ctx=ctx,
                          name=f"{table.database}.{table.name}")

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
        base = base if base.is_dir() else base.parent
        if ctx and run.bookmark_option in (ENABLE, PAUSE):
            done = BookmarkStore(self.catalog.database).processed(run.job_name, ctx)
            new = [f for f in files if done.get(str(f)) != f.stat().st_mtime]
            run.bookmark_updates[ctx] = {str(f): f.stat().st_mtime for f in new}
            if files and not new and columns is None:  # nothing new since the bookmark
                from pyspark.sql.types import StructType

                return DynamicFrame(self.spark_session.createDataFrame([], StructType([])),
                                    self, name)
            files = new
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
        """CSV, Parquet or ORC. CSV values are typed as Glue types them: a column whose
        values do not all fit its type is a choice; records that cannot be parsed at all
        become error records."""
        from pyspark.sql import functions as F
        from pyspark.sql.types import StringType, StructField, StructType

        from sparkgrove.spark import CORRUPT_COLUMN

        spark = self.spark_session
        if not paths:
            if columns is None:
                raise NotFoundError(f"No data files to read in {name}.")
            return DynamicFrame(spark.createDataFrame([], spark_schema(columns)), self, name)
        reader = spark.read.format(fmt).options(basePath=str(base), **options)
        if fmt != "csv":
            if columns is not None:
                reader = reader.schema(spark_schema(columns))
            return DynamicFrame(reader.load(paths), self, name)
        declared: dict[str, str] | None = None
        if columns is not None:
            declared = {c.name: c.type for c in columns}
            strings = StructType([StructField(c.name, StringType()) for c in columns]
                                 + [StructField(CORRUPT_COLUMN, StringType())])
            df = reader.schema(strings).load(paths)
        else:
            header = reader.load(paths).schema
            strings = StructType([StructField(f.name, StringType()) for f in header.fields]
                                 + [StructField(CORRUPT_COLUMN, StringType())])
            df = spark.read.format(fmt).options(basePath=str(base), **options).schema(
                strings).load(paths)
        df = df.cache()
        bad = df.filter(F.col(CORRUPT_COLUMN).isNotNull())
        count = bad.count()
        good = df.filter(F.col(CORRUPT_COLUMN).isNull()).drop(CORRUPT_COLUMN)
        typed, found = ch.type_strings(good, declared)
        errors = bad.select(F.col(CORRUPT_COLUMN).alias("record"),
                            F.lit("does not match the table's columns").alias("error"),
                            F.lit(f"read {name}").alias("transformation"))
        return DynamicFrame(typed, self, name, choices=found,
                            errors=errors if count else None, stage_errors=count,
                            total_errors=count)

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
        from sparkgrove.etl import fieldpaths as fp

        df = frame.toDF()
        resolved = []
        for key in keys:
            found = fp.find_name(key, df.columns)
            if found is None:
                raise DataError(f"partitionKeys: {key!r} is not a field of the frame; fields: "
                                f"{', '.join(df.columns)}.")
            resolved.append(found)
        staging = new_staging(self.settings.staging, "etl") / "data"  # Spark makes "data"
        rows = int(df.count())
        if rows:  # a run with nothing new writes no empty part files
            writer = df.write.mode("errorifexists").format(fmt)
            if resolved:
                writer = writer.partitionBy(*resolved)
            if fmt == "csv":
                writer = writer.option("header", "true")
            writer.save(str(staging))
        columns = tuple(ColumnSpec(f.name, f.dataType.simpleString()) for f in df.schema.fields)
        self._run.pending_writes.append(PendingWrite(staging, target, fmt, resolved, table,
                                                     columns, rows))
        self._run.rows_written += rows
