"""EMR's configuration classifications, read as AWS's release guide documents them.

A configuration is ``{"Classification": ..., "Properties": {...}, "Configurations": [...]}``
(AWS's JSON) or the same with lower-case keys (our TOML ``[[configurations]]``). What each
classification means on a sparkgrove cluster (Spark's standalone manager on this machine):

* ``spark-defaults``: Spark properties for every application on the cluster: steps,
  notebooks, the Spark Connect server and sparkgrove's own drivers, as ``spark-defaults.conf``
  is on EMR. The application's own settings win over them.
* ``spark-env``: its nested ``export`` classification holds environment variables of the
  daemons and drivers (``SPARK_WORKER_OPTS``, ``PYSPARK_PYTHON``, ...). Properties directly
  on ``spark-env`` are taken as variables too (our older TOML form).
* ``spark``: ``maximizeResourceAllocation`` sizes executors from the workers (one executor per
  worker with all its cores and memory, and ``spark.default.parallelism`` twice the cores).
* ``spark-metrics``: written as the daemons' ``metrics.properties``.

Classifications for YARN, HDFS, Hive or other applications are refused by name with the reason;
so are settings that would open the cluster beyond loopback or turn authentication off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sparkgrove.errors import ConfigError

SUPPORTED = ("spark-defaults", "spark-env", "spark", "spark-metrics")
REFUSED = {
    "spark-hive-site": "it configures a Hive metastore, and a sparkgrove cluster uses the "
                       "workspace catalog instead (set catalog_url)",
    "spark-log4j": "Spark 3.3+ uses log4j2, and sparkgrove writes the daemons' logging "
                   "configuration (logs are under the cluster's folder)",
    "spark-log4j2": "sparkgrove writes the daemons' logging configuration (logs are under the "
                    "cluster's folder)",
    "hive-site": "there is no Hive on a sparkgrove cluster; the catalog is the workspace's",
    "livy-conf": "there is no Livy server; submit work with `sparkgrove step add`",
    "zeppelin-env": "notebooks run in Jupyter (`sparkgrove notebook`), not Zeppelin",
    "jupyter-notebook-conf": "configure JupyterLab with `sparkgrove notebook` options",
}
_HADOOP = ("yarn-", "hadoop-", "hdfs-", "mapred-", "core-site", "capacity-scheduler",
           "emrfs-site", "container-", "httpfs-", "tez-", "hbase", "presto", "trino",
           "oozie", "hue", "pig", "sqoop", "flink", "hudi", "iceberg", "delta")
MANAGED_PROPERTIES = {
    "spark.authenticate": "authentication is always on, with a secret sparkgrove generates",
    "spark.authenticate.secret": "the secret is generated for each cluster and kept in a file",
    "spark.master.rest.enabled": "the REST submission server is always off",
    "spark.driver.host": "drivers bind to 127.0.0.1; binding beyond loopback comes with "
                         "multi-host clusters, not offered yet",
    "spark.driver.bindAddress": "drivers bind to 127.0.0.1; binding beyond loopback comes "
                                "with multi-host clusters, not offered yet",
}
MANAGED_ENV = {
    "SPARK_LOCAL_IP": "daemons bind to 127.0.0.1",
    "SPARK_MASTER_HOST": "the master binds to 127.0.0.1",
    "SPARK_PUBLIC_DNS": "daemons advertise 127.0.0.1",
}


@dataclass
class Configurations:
    """What a list of EMR configurations asks of a cluster."""

    spark_defaults: dict[str, str] = field(default_factory=dict)
    spark_env: dict[str, str] = field(default_factory=dict)
    maximize_resource_allocation: bool = False
    metrics: dict[str, str] = field(default_factory=dict)


def _get(item: dict[str, Any], key: str) -> Any:
    """A configuration field by AWS's name (``Classification``) or ours (``classification``)."""
    if key in item:
        return item[key]
    return item.get(key.lower())


def _properties(item: dict[str, Any], where: str, source: str) -> dict[str, str]:
    properties = _get(item, "Properties")
    if properties is None:
        return {}
    if not isinstance(properties, dict):
        raise ConfigError(f"{source}: {where}.Properties must be an object of name-value "
                          "strings.")
    for key, value in properties.items():
        if isinstance(value, dict | list):
            raise ConfigError(f"{source}: {where}.Properties[{key!r}] must be a string; got a "
                              f"{type(value).__name__}.")
    return {str(k): _text(v) for k, v in properties.items()}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _refusal(classification: str) -> str | None:
    if classification in REFUSED:
        return REFUSED[classification]
    if classification.startswith(_HADOOP):
        return ("it configures YARN, HDFS or another application of EMR; a sparkgrove "
                "cluster runs Spark's standalone manager on local files")
    return None


def parse_configurations(items: Any, *, source: str) -> Configurations:
    """Check and read EMR configurations; name the item and the rule at fault."""
    if not isinstance(items, list):
        raise ConfigError(f"{source}: the configurations must be a list of objects with "
                          "Classification and Properties, as in EMR's release guide.")
    result = Configurations()
    for i, item in enumerate(items):
        where = f"configurations[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{source}: {where} must be an object with Classification and "
                              "Properties.")
        unknown = sorted(set(item) - {"Classification", "Properties", "Configurations",
                                      "classification", "properties", "configurations"})
        if unknown:
            raise ConfigError(f"{source}: {where} has unknown key(s) {', '.join(unknown)}; "
                              "allowed: Classification, Properties, Configurations.")
        classification = _get(item, "Classification")
        if not isinstance(classification, str) or not classification:
            raise ConfigError(f"{source}: {where} needs a Classification (for example "
                              "spark-defaults).")
        reason = _refusal(classification)
        if reason is not None:
            raise ConfigError(f"{source}: {where}: the classification {classification} is not "
                              f"offered: {reason}.")
        if classification not in SUPPORTED:
            raise ConfigError(f"{source}: {where}.classification must be one of "
                              f"{', '.join(SUPPORTED)}; got {classification!r}.")
        properties = _properties(item, where, source)
        nested = _get(item, "Configurations") or []
        if not isinstance(nested, list):
            raise ConfigError(f"{source}: {where}.Configurations must be a list.")
        if classification == "spark-env":
            result.spark_env.update(properties)
            for j, inner in enumerate(nested):
                inner_where = f"{where}.Configurations[{j}]"
                if not isinstance(inner, dict) or _get(inner, "Classification") != "export":
                    raise ConfigError(f"{source}: {inner_where} must be the 'export' "
                                      "classification that holds spark-env's variables.")
                if _get(inner, "Configurations"):
                    raise ConfigError(f"{source}: {inner_where} (export) cannot nest further "
                                      "configurations.")
                result.spark_env.update(_properties(inner, inner_where, source))
            continue
        if nested:
            raise ConfigError(f"{source}: {where} ({classification}) takes no nested "
                              "Configurations; only spark-env nests an 'export'.")
        if classification == "spark-defaults":
            result.spark_defaults.update(properties)
        elif classification == "spark-metrics":
            result.metrics.update(properties)
        else:  # spark
            for key, value in properties.items():
                if key != "maximizeResourceAllocation":
                    raise ConfigError(f"{source}: {where}: the spark classification takes "
                                      f"maximizeResourceAllocation only; got {key!r} (Spark "
                                      "properties go in spark-defaults).")
                if value.lower() not in ("true", "false"):
                    raise ConfigError(f"{source}: {where}: maximizeResourceAllocation must be "
                                      f"true or false; got {value!r}.")
                result.maximize_resource_allocation = value.lower() == "true"
    for key, why in MANAGED_PROPERTIES.items():
        if key in result.spark_defaults:
            raise ConfigError(f"{source}: spark-defaults cannot set {key}: {why} (managed by "
                              "sparkgrove).")
    for key, why in MANAGED_ENV.items():
        if key in result.spark_env:
            raise ConfigError(f"{source}: spark-env cannot set {key}: {why} (managed by "
                              "sparkgrove).")
    return result


def maximized_defaults(workers: int, cores: int, memory_mb: int) -> dict[str, str]:
    """EMR's ``maximizeResourceAllocation`` for standalone workers: one executor per worker
    holding all of its cores and memory; default parallelism twice the cluster's cores."""
    return {"spark.executor.cores": str(cores), "spark.executor.memory": f"{memory_mb}m",
            "spark.default.parallelism": str(2 * workers * cores)}
