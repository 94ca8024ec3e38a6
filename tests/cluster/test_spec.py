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
     r"configurations\[0\].classification"),
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
