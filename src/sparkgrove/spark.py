"""The one place sparkgrove reaches Spark: sessions for a target, and catalog tables in Spark SQL.

Every session built here has the workspace's catalog tables registered under their names, so
``spark.table("db.t")`` and ``SELECT ... FROM db.t`` work.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkgrove.errors import EnvironmentProblem, SparkError, SparkgroveError
from sparkgrove.java import check_java
from sparkgrove.names import spark_name
from sparkgrove.processes import children_environment
from sparkgrove.settings import Settings
from sparkgrove.staging import put_in_place, staged
from sparkgrove.store.entities import ColumnSpec, TableInfo

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

    from sparkgrove.catalog.api import Catalog

CORRUPT_COLUMN = "_corrupt_record"
LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")
DEFAULT_SPARK_CONF: Mapping[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.sql.catalogImplementation": "in-memory",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.shuffle.partitions": "8",
}


def build_session(settings: Settings, *, app_name: str = "sparkgrove",
                  conf: Mapping[str, str] | None = None,
                  catalog: Catalog | None = None) -> SparkSession:
    """A SparkSession for ``settings.spark_master`` with the catalog's tables registered.

    An already running session in this process is reused (Spark allows one per process).
    """
    check_java()
    from pyspark.sql import SparkSession

    master = settings.spark_master
    cluster_conf: dict[str, str] = {}
    # PySpark's launcher reads these from the environment of the process that starts the JVM:
    # they are set for that start only. Python workers run this interpreter (they must import
    # sparkgrove) and the driver binds to loopback, unless the user's environment says otherwise.
    launcher = {"PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON") or sys.executable,
                "SPARK_LOCAL_IP": os.environ.get("SPARK_LOCAL_IP") or "127.0.0.1"}
    if settings.cluster:
        from sparkgrove.cluster.manager import ClusterManager
        from sparkgrove.store.db import open_database

        manager = ClusterManager(settings, open_database(settings.catalog_url))
        master, cluster_conf, properties = manager.client_conf(settings.cluster)
        # The secret reaches the driver's JVM in a file readable by the owner alone, not on
        # its command line (under spark-submit the step runner passes the same file).
        launcher["PYSPARK_SUBMIT_ARGS"] = f"--properties-file {properties} pyspark-shell"
    defaults = dict(DEFAULT_SPARK_CONF)
    if os.environ.get("PYSPARK_GATEWAY_PORT"):
        # A driver under spark-submit (a cluster step): its --conf and --name win over our
        # defaults, as they would over spark-defaults.conf.
        from pyspark import SparkConf, SparkContext

        SparkContext._ensure_initialized()  # joins spark-submit's JVM, which holds its conf
        submitted = dict(SparkConf().getAll())
        defaults.update({k: v for k, v in submitted.items() if k in DEFAULT_SPARK_CONF})
        app_name = submitted.get("spark.app.name", app_name)
    builder = SparkSession.builder.master(master).appName(app_name)
    merged = {**defaults,
              "spark.sql.warehouse.dir": str(settings.workspace / "spark-warehouse"),
              "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
              **cluster_conf, **dict(settings.spark_conf), **dict(conf or {})}
    for key, value in merged.items():
        builder = builder.config(key, value)
    with children_environment(launcher):
        if master.startswith("spark://"):
            spark = connect_bounded(builder, master, settings.connect_timeout)
        else:
            spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    if catalog is not None:
        register_tables(spark, catalog)
    return spark




def from_spark(exc: BaseException) -> bool:
    """Whether ``exc`` was raised by PySpark or Py4J (Spark's side of a call)."""
    return type(exc).__module__.startswith(("pyspark", "py4j"))


def java_cause(exc: BaseException) -> str | None:
    """The innermost Java exception of a Py4J error, as ``class: message``."""
    java = getattr(exc, "java_exception", None)
    if java is None:
        return None
    try:
        while java.getCause() is not None and java.getCause() != java:
            java = java.getCause()
        return str(java.toString()).splitlines()[0]
    except Exception:  # the gateway may be gone; fall back to the Python text
        return None


def spark_error_text(exc: BaseException) -> str:
    """One line for a Spark failure: the Java cause, else the first line of PySpark's text."""
    cause = java_cause(exc)
    if cause:
        return cause
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


@contextmanager
def map_spark_errors(doing: str) -> Iterator[None]:
    """Turn what Spark raises (Py4J's Java errors, PySpark's analysis and runtime errors) into
    :class:`SparkError` saying what was being done, with the original kept as ``__cause__``,
    as httpx's ``map_httpcore_exceptions`` does for its transport. Our own errors and
    anything not from Spark pass through unchanged."""
    try:
        yield
    except SparkgroveError:
        raise
    except Exception as exc:
        if not from_spark(exc):
            raise
        raise SparkError(f"Spark failed while {doing}: {spark_error_text(exc)}") from exc


def connect_bounded(builder: Any, master: str, timeout: float) -> SparkSession:
    """``builder.getOrCreate()``, refused with a clear message after ``timeout`` seconds.

    Spark's driver retries a master that refuses it for minutes (for instance when the secret
    is missing or wrong); here the driver's JVM is stopped and the caller told why instead.
    """
    import threading

    from pyspark import SparkContext

    result: dict[str, Any] = {}

    def create() -> None:
        try:
            result["spark"] = builder.getOrCreate()
        except BaseException as exc:  # reported below, in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=create, daemon=True, name="sparkgrove-connect")
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        gateway = SparkContext._gateway
        proc = getattr(gateway, "proc", None)
        if proc is not None:
            proc.kill()
        raise EnvironmentProblem(
            f"The Spark master at {master} did not accept this driver within {timeout:.0f}s: "
            "its secret is missing or wrong, or the cluster is not reachable. Run Spark work "
            "with --cluster NAME so sparkgrove passes the cluster's secret, and check "
            "`sparkgrove cluster status NAME`.")
    if "error" in result:
        error = result["error"]
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise EnvironmentProblem(f"Could not start a Spark driver on {master}: {first}") from error
    session: SparkSession = result["spark"]
    return session


def spark_schema(columns: tuple[ColumnSpec, ...], *, corrupt: bool = False) -> StructType:
    """The Spark schema of ``columns`` (plus the corrupt-record column when asked)."""
    from pyspark.sql.types import StringType, StructField, StructType

    ddl = ", ".join(f"`{c.name.replace('`', '')}` {c.type}" for c in columns)
    parsed = StructType.fromDDL(ddl) if ddl else StructType([])
    assert isinstance(parsed, StructType)
    schema = parsed
    if corrupt:
        schema = schema.add(StructField(CORRUPT_COLUMN, StringType(), True))
    return schema


def read_options(table: TableInfo) -> dict[str, str]:
    """Spark reader options that match how the crawler read the table's files."""
    props = table.properties
    if table.format == "csv":
        options = {"header": props.get("header", "true"), "sep": props.get("delimiter", ","),
                   "quote": '"', "escape": '"', "mode": "PERMISSIVE"}
        if "nullValue" in props:
            options["nullValue"] = props["nullValue"]
        if props.get("multiLine") == "true":  # quoted values span lines: read records whole
            options["multiLine"] = "true"
        return options
    if table.format == "json":
        return {"mode": "PERMISSIVE"}
    return {}


def register_tables(spark: SparkSession, catalog: Catalog) -> list[str]:
    """Make every catalog table queryable by ``db.table`` in ``spark``; return their names.

    A table Spark cannot register (a name that clashes once hyphens become underscores, a
    schema Spark refuses) is left out with a warning naming it, so one bad table never stops
    the session; sparkgrove's own commands still read it through the catalog.
    """
    registered: list[str] = []
    taken: dict[str, str] = {}
    for table in catalog.tables():
        as_spark = spark_table_name(table)
        if as_spark in taken:
            warnings.warn(f"Table {table.qualified_name} is not registered in Spark SQL: Spark "
                          f"allows no hyphens, and {as_spark} already names "
                          f"{taken[as_spark]}. Read it with the Glue API or sparkgrove commands.",
                          stacklevel=2)
            continue
        try:
            register_table(spark, table)
        except Exception as exc:  # one table must not stop the session
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            warnings.warn(f"Table {table.qualified_name} is not registered in Spark SQL: "
                          f"{first[:300]}. Fix or drop it (sparkgrove catalog show "
                          f"{table.qualified_name}).", stacklevel=2)
            continue
        taken[as_spark] = table.qualified_name
        registered.append(table.qualified_name)
    return registered


def spark_table_name(table: TableInfo) -> str:
    """The ``db.table`` name a catalog table has in Spark SQL (hyphens become underscores,
    since Spark's session catalog allows only letters, digits and underscores)."""
    return f"{spark_name(table.database)}.{spark_name(table.name)}"


def register_table(spark: SparkSession, table: TableInfo) -> None:
    """Register (or refresh) one catalog table in Spark's session catalog."""
    # Names were validated by sparkgrove.names when stored; spark_name leaves only
    # letters, digits and underscores, so the quoted identifiers below are safe.
    database, name = spark_name(table.database), spark_name(table.name)
    spark.sql(f"CREATE DATABASE IF NOT EXISTS `{database}`")
    spark.sql(f"DROP TABLE IF EXISTS `{database}`.`{name}`")
    options = {k: v for k, v in read_options(table).items() if k != "mode"}
    spark.catalog.createTable(
        f"`{database}`.`{name}`", path=table.location, source=table.format,
        schema=spark_schema(table.all_columns), **options,
    )


@dataclass
class TableRead:
    """A table read for sparkgrove's own work: the good rows and what was kept aside."""

    frame: DataFrame
    malformed: int
    rejects_path: str | None


def read_table(spark: SparkSession, catalog: Catalog, table: TableInfo, *,
               rejects_label: str = "read") -> TableRead:
    """Read ``table`` (a table version the caller resolved, once) with malformed rows counted
    and written aside.

    CSV files are read with the schema of the table version they were crawled under, so a
    table whose columns were appended to reads its older files without calling them malformed.
    """
    from pyspark.sql import functions as F

    qualified = table.qualified_name
    options = read_options(table)
    corrupt = table.format in ("csv", "json")
    files = catalog.files(qualified)
    versions = sorted({f.version for f in files})
    frames: list[DataFrame] = []
    if table.format == "csv" and len(versions) > 1:
        for ver in versions:
            shape = catalog.table(qualified, ver) if ver != table.version else table
            paths = [f.path for f in files if f.version == ver]
            frames.append(spark.read.format("csv").schema(
                spark_schema(shape.all_columns, corrupt=True)).options(
                basePath=table.location, **read_options(shape)).load(paths))
    else:
        # The files the crawler cataloged, not whatever is under the location now: a file it
        # refused (an empty partition value, a stray format) must not break the read.
        paths = [f.path for f in files] or [table.location]
        base = {"basePath": table.location} if Path(table.location).is_dir() else {}
        frames.append(spark.read.format(table.format).schema(
            spark_schema(table.all_columns, corrupt=corrupt)).options(**options, **base).load(
            paths))
    frame = frames[0]
    for other in frames[1:]:
        frame = frame.unionByName(other, allowMissingColumns=True)
    wanted = [F.col(f"`{c.name}`").cast(c.type).alias(c.name) for c in table.all_columns]
    if not corrupt:
        return TableRead(frame.select(*wanted), 0, None)
    frame = frame.cache()
    bad = frame.filter(F.col(CORRUPT_COLUMN).isNotNull())
    malformed = bad.count()
    rejects_path = None
    if malformed:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = catalog.settings.rejects / f"{rejects_label}-{table.database}-{table.name}-{stamp}"
        with staged(catalog.settings.staging, "rejects") as staging:
            bad.select(F.lit(qualified).alias("table"), F.col(CORRUPT_COLUMN).alias("record"),
                       F.lit("does not match the table's columns or types").alias("reason")
                       ).coalesce(1).write.mode("errorifexists").json(str(staging / "data"))
            put_in_place(staging / "data", target)
        rejects_path = str(target)
    good = frame.filter(F.col(CORRUPT_COLUMN).isNull()).select(*wanted)
    return TableRead(good, malformed, rejects_path)


def spark_version(spark: SparkSession) -> str:
    """The running Spark's version string."""
    version: Any = spark.version
    return str(version)
