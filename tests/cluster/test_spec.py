import json
from pathlib import Path

import pytest

from sparkgrove.cluster.manager import ClusterManager
from sparkgrove.cluster.spec import build_spec, load_spec
from sparkgrove.errors import ConfigError, NotFoundError
from sparkgrove.settings import Settings
from sparkgrove.store.db import open_database


def test_a_spec_file_with_configurations(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('name = "analytics"\nworkers = 3\ncores = 2\nmemory = "2g"\n'
                    'idle_timeout = "30m"\nbootstrap = ["true"]\n'
                    '[[configurations]]\nclassification = "spark-defaults"\n'
                    'properties = { "spark.executor.memory" = "1g" }\n'
                    '[[configurations]]\nclassification = "spark-env"\n'
                    'properties = { SPARK_WORKER_OPTS = "-Dx=1" }\n')
    spec = load_spec(path, workers=2)
    assert (spec.name, spec.workers, spec.cores, spec.idle_timeout) == ("analytics", 2, 2, 1800)
    assert spec.spark_defaults == {"spark.executor.memory": "1g"}
    assert spec.spark_env == {"SPARK_WORKER_OPTS": "-Dx=1"}


@pytest.mark.parametrize(("data", "match"), [
    ({"name": "c", "workerz": 2}, "unknown field.*workerz"),
    ({"name": "c", "workers": 0}, "'workers' must be a whole number >= 1"),
    ({"name": "c", "memory": "100000g"}, "'memory' 100000g x 2 workers is more than"),
    ({"name": "c", "memory": "lots"}, "'memory' must be a size"),
    ({"name": "c", "idle_timeout": "soon"}, "'idle_timeout' must be a duration"),
    ({"name": "c", "configurations": [{"classification": "hdfs-site"}]},
     r"configurations\[0\]: the classification hdfs-site is not offered: it configures YARN"),
    ({"name": "c", "configurations": [{"classification": "spark-defaults",
                                       "properties": {"spark.authenticate": "false"}}]},
     "managed by sparkgrove"),
    ({"workers": 1}, "'name' is required"),
    ({"name": "../x"}, "cluster name"),
])
def test_invalid_specs_are_refused_naming_the_field(data: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        build_spec(data)


def test_an_invalid_spec_starts_nothing(settings: Settings) -> None:
    manager = ClusterManager(settings, open_database(settings.catalog_url))
    with pytest.raises(ConfigError):
        manager.up(build_spec({"name": "bad", "workers": 0}))
    with pytest.raises(NotFoundError):
        manager.get("bad")
    assert not (settings.workspace / "clusters" / "bad").exists()


# The examples of EMR's release guide ("Configure Spark"), as AWS writes them.
MAXIMIZE = [{"Classification": "spark", "Properties": {"maximizeResourceAllocation": "true"}}]
SPARK_ENV = [{"Classification": "spark-env", "Configurations": [
    {"Classification": "export", "Properties": {"PYSPARK_PYTHON": "/usr/bin/python3"}}],
    "Properties": {}}]
DEFAULTS = [{"Classification": "spark-defaults", "Properties": {"spark.driver.memory": "5g"}}]


def _json(tmp_path: Path, configurations: object, name: str = "emr.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(configurations, indent=2))
    return path


def test_emr_json_from_the_release_guide(tmp_path: Path) -> None:
    spec = load_spec(_json(tmp_path, [*DEFAULTS, *SPARK_ENV]), name="emr", workers=2)
    assert spec.name == "emr" and spec.spark_defaults == {"spark.driver.memory": "5g"}
    assert spec.spark_env == {"PYSPARK_PYTHON": "/usr/bin/python3"}
    sized = load_spec(_json(tmp_path, MAXIMIZE), workers=3, cores=2, memory="1g")
    assert sized.spark_defaults == {"spark.executor.cores": "2",
                                    "spark.executor.memory": "1024m",
                                    "spark.default.parallelism": "12"}
    # A value set in spark-defaults wins over the maximized one, as on EMR.
    mine = {"Classification": "spark-defaults", "Properties": {"spark.executor.cores": "1"}}
    both = load_spec(_json(tmp_path, [*MAXIMIZE, mine]), cores=2)
    assert both.spark_defaults["spark.executor.cores"] == "1"
    # A JSON object with the spec's fields (EMR's key 'Configurations' too), with a BOM.
    obj = tmp_path / "spec.json"
    obj.write_bytes(b"\xef\xbb\xbf" + json.dumps({"name": "obj", "workers": 1,
                                                  "Configurations": DEFAULTS}).encode())
    assert load_spec(obj).spark_defaults == {"spark.driver.memory": "5g"}


def test_the_toml_form_takes_aws_keys_and_nested_export(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('name = "t"\n[[configurations]]\nClassification = "spark-env"\n'
                    '[[configurations.Configurations]]\nClassification = "export"\n'
                    'Properties = { SPARK_WORKER_OPTS = "-Dx=1" }\n'
                    '[[configurations]]\nclassification = "spark-metrics"\n'
                    'properties = { "*.sink.console.class" = '
                    '"org.apache.spark.metrics.sink.ConsoleSink" }\n')
    spec = load_spec(path)
    assert spec.spark_env == {"SPARK_WORKER_OPTS": "-Dx=1"}
    assert spec.metrics == {"*.sink.console.class": "org.apache.spark.metrics.sink.ConsoleSink"}


@pytest.mark.parametrize(("configurations", "match"), [
    ([{"Classification": "spark-hive-site", "Properties": {
        "hive.metastore.client.factory.class":
            "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory"}}],
     "spark-hive-site is not offered: it configures a Hive metastore"),
    ([{"Classification": "yarn-site", "Properties": {"yarn.nodemanager.vmem-check-enabled":
                                                      "false"}}], "yarn-site is not offered"),
    ([{"Classification": "spark-log4j2", "Properties": {"rootLogger.level": "warn"}}],
     "spark-log4j2 is not offered"),
    ([{"Classification": "spark-env", "Configurations": [{"Classification": "spark"}]}],
     r"Configurations\[0\] must be the 'export'"),
    ([{"Classification": "spark-defaults", "Properties": {"spark.driver.host": "0.0.0.0"}}],
     "cannot set spark.driver.host: drivers bind to 127.0.0.1"),
    ([{"Classification": "spark-env", "Configurations": [{"Classification": "export",
      "Properties": {"SPARK_MASTER_HOST": "0.0.0.0"}}]}], "cannot set SPARK_MASTER_HOST"),
    ([{"Classification": "spark", "Properties": {"spark.executor.memory": "1g"}}],
     "takes maximizeResourceAllocation only"),
    ([{"Classification": "spark", "Properties": {"maximizeResourceAllocation": "yes"}}],
     "must be true or false"),
    ([{"Classification": "spark-defaults", "Properties": {"spark.executor.memory": "4g"}}],
     "spark.executor.memory 4g is more than a worker holds"),
    ([{"Classification": "spark-defaults", "Properties": {"spark.executor.cores": "3"}}],
     "spark.executor.cores 3 is more than a worker has"),
    ([{"Classification": "spark-defaults", "Properties": {"spark.x": {"nested": 1}}}],
     r"Properties\['spark.x'\] must be a string"),
    ([{"Clasification": "spark-defaults"}], "unknown key.*Clasification"),
    ({"Classification": "spark-defaults"}, "must be a list"),
])
def test_emr_configurations_that_cannot_mean_anything_here_are_refused_by_name(
        tmp_path: Path, configurations: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_spec(_json(tmp_path, configurations), memory="1g", cores=1)


def test_a_broken_json_spec_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[{"Classification": "spark-defaults",}]')
    with pytest.raises(ConfigError, match=r"bad.json is not valid JSON: .* line 1"):
        load_spec(path)
