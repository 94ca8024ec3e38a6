from pathlib import Path

import pytest

from sparkgrove.errors import ConfigError
from sparkgrove.settings import DEFAULT_SPARK_MASTER, load_settings


def test_defaults_put_the_workspace_in_the_current_folder(tmp_path: Path) -> None:
    s = load_settings(environ={}, cwd=tmp_path)
    assert s.workspace == tmp_path / "sparkgrove-workspace"
    assert s.catalog_url == f"sqlite:///{tmp_path / 'sparkgrove-workspace' / 'catalog.db'}"
    assert s.spark_master == DEFAULT_SPARK_MASTER


def test_toml_then_environment_then_flags_each_win(tmp_path: Path) -> None:
    (tmp_path / "sparkgrove.toml").write_text(
        '[sparkgrove]\nworkspace = "from-toml"\nspark_master = "local[1]"\n'
        'catalog_url = "sqlite:///toml.db"\n[sparkgrove.spark]\n"spark.executor.memory" = "1g"\n')
    s = load_settings(environ={}, cwd=tmp_path)
    assert s.workspace == tmp_path / "from-toml"
    assert s.spark_master == "local[1]"
    assert s.spark_conf == {"spark.executor.memory": "1g"}
    env = {"SPARKGROVE_SPARK_MASTER": "local[3]", "SPARKGROVE_CATALOG_URL": "sqlite:///env.db"}
    s = load_settings(environ=env, cwd=tmp_path)
    assert (s.spark_master, s.catalog_url) == ("local[3]", "sqlite:///env.db")
    s = load_settings(environ=env, cwd=tmp_path, spark_master="spark://127.0.0.1:7077",
                      workspace="flag-ws")
    assert s.spark_master == "spark://127.0.0.1:7077"
    assert s.workspace == tmp_path / "flag-ws"


def test_unknown_toml_key_is_named(tmp_path: Path) -> None:
    (tmp_path / "sparkgrove.toml").write_text('[sparkgrove]\nwarehouse = "x"\n')
    with pytest.raises(ConfigError, match="unknown setting.*warehouse"):
        load_settings(environ={}, cwd=tmp_path)


def test_object_store_and_connect_timeout_are_settings(tmp_path: Path) -> None:
    env = {"SPARKGROVE_WORKSPACE": str(tmp_path / "ws"), "SPARKGROVE_S3_ROOT": "lake",
           "SPARKGROVE_CONNECT_TIMEOUT": "12.5"}
    settings = load_settings(environ=env, cwd=tmp_path)
    assert settings.object_store == tmp_path / "lake"
    assert settings.connect_timeout == 12.5
    assert load_settings(environ={}, cwd=tmp_path).object_store == (
        tmp_path / "sparkgrove-workspace" / "s3")
    with pytest.raises(ConfigError, match="connect_timeout must be a positive number.*'soon'"):
        load_settings(environ={"SPARKGROVE_CONNECT_TIMEOUT": "soon"}, cwd=tmp_path)


def test_no_module_reads_our_environment_variables_but_settings() -> None:
    import sparkgrove

    package = Path(sparkgrove.__file__).parent
    for path in package.rglob("*.py"):
        if path.name != "settings.py":
            text = path.read_text()
            assert 'environ.get("SPARKGROVE_' not in text and 'getenv("SPARKGROVE_' not in text, (
                f"{path} reads a SPARKGROVE_ variable itself")


def test_no_module_writes_the_environment_for_others() -> None:
    import re

    import sparkgrove

    package = Path(sparkgrove.__file__).parent
    writes = re.compile(r"os\.environ\[[^\]]+\]\s*=|os\.environ\.(setdefault|update|pop)\(|"
                        r"os\.putenv\(")
    found = {path.relative_to(package).as_posix() for path in package.rglob("*.py")
             if writes.search(path.read_text())}
    # processes.children_environment sets variables for children's start only, then restores them
    assert found == {"processes.py"}


def test_a_spark_properties_file_reaches_spark_conf_and_guards_its_secret(tmp_path: Path
                                                                         ) -> None:
    import os

    conf = tmp_path / "cluster.conf"
    conf.write_text("# as spark-defaults.conf\nspark.authenticate true\n"
                    "spark.authenticate.secret=s3cret\nspark.network.crypto.enabled : true\n")
    os.chmod(conf, 0o644)
    with pytest.raises(ConfigError, match="holds a secret but others can read it"):
        load_settings(environ={}, cwd=tmp_path, spark_conf_file=conf)
    os.chmod(conf, 0o600)
    settings = load_settings(environ={"SPARKGROVE_SPARK_CONF": str(conf)}, cwd=tmp_path)
    assert settings.spark_conf["spark.authenticate.secret"] == "s3cret"
    assert settings.spark_conf["spark.network.crypto.enabled"] == "true"
    conf.write_text("spark.authenticate\n")
    with pytest.raises(ConfigError, match=r"cluster.conf, line 1: expected"):
        load_settings(environ={}, cwd=tmp_path, spark_conf_file=conf)
