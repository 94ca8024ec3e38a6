"""Where sparkgrove keeps its things and which Spark it talks to.

Settings are resolved from four sources; a later source wins over an earlier one:

1. defaults (``DEFAULT_*`` below);
2. ``sparkgrove.toml`` in the current folder (or the file named by ``SPARKGROVE_CONFIG``);
3. environment variables ``SPARKGROVE_WORKSPACE``, ``SPARKGROVE_CATALOG_URL``,
   ``SPARKGROVE_SPARK_MASTER``, ``SPARKGROVE_CLUSTER``, ``SPARKGROVE_S3_ROOT``,
   ``SPARKGROVE_CONNECT_TIMEOUT``, ``SPARKGROVE_SPARK_CONF``;
4. command-line flags (``--workspace``, ``--catalog-url``, ``--master``, ``--cluster``,
   ``--spark-conf``) or keyword arguments.

``spark_conf_file`` (``--spark-conf``) is a Spark properties file, as ``spark-defaults.conf``
is written (``key value`` or ``key=value`` lines, ``#`` comments), for a Spark cluster that
sparkgrove did not start: its settings (the cluster's secret, say) reach every driver's
configuration, on top of ``sparkgrove.toml``'s ``[spark]`` table. A file that holds a secret
must be readable by its owner alone.

``cluster`` names a cluster started by ``sparkgrove cluster up``: Spark work then runs there
(its master URL and secret are looked up), whatever ``spark_master`` says.

These are every environment variable sparkgrove reads for its own settings; no module reads
another (``JAVA_HOME`` and Spark's own variables belong to Java and Spark).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sparkgrove.errors import ConfigError

DEFAULT_WORKSPACE = "sparkgrove-workspace"
DEFAULT_SPARK_MASTER = "local[*]"
DEFAULT_CONFIG_FILE = "sparkgrove.toml"
DEFAULT_CONNECT_TIMEOUT = 45.0
ENV_PREFIX = "SPARKGROVE_"
_KEYS = ("workspace", "catalog_url", "spark_master", "cluster", "s3_root", "connect_timeout")


@dataclass(frozen=True)
class Settings:
    """Resolved settings: the workspace folder, the catalog database URL and the Spark target."""

    workspace: Path
    catalog_url: str
    spark_master: str = DEFAULT_SPARK_MASTER
    spark_conf: Mapping[str, str] = field(default_factory=dict)
    cluster: str | None = None
    """A cluster started by ``sparkgrove cluster up``; when set, Spark work runs there."""
    s3_root: Path | None = None
    """The folder standing in for S3 (``s3://bucket/key``); default ``<workspace>/s3``."""
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    """Seconds a driver waits for a ``spark://`` master to accept it before giving up."""

    @property
    def object_store(self) -> Path:
        """The folder that stands in for S3."""
        return self.s3_root if self.s3_root is not None else self.workspace / "s3"

    @property
    def warehouse(self) -> Path:
        """Folder holding table data written by sparkgrove."""
        return self.workspace / "warehouse"

    @property
    def models_dir(self) -> Path:
        """Folder holding model artifacts, one sub-folder per model version."""
        return self.workspace / "models"

    @property
    def staging(self) -> Path:
        """Scratch folder on the workspace's file system, for write-then-rename commits."""
        return self.workspace / "staging"

    @property
    def rejects(self) -> Path:
        """Folder where malformed records are kept aside."""
        return self.workspace / "rejects"

    @property
    def logs(self) -> Path:
        """Folder for logs."""
        return self.workspace / "logs"

    def ensure_dirs(self) -> None:
        """Create the workspace's folders."""
        for folder in (self.workspace, self.warehouse, self.models_dir, self.staging,
                       self.rejects, self.logs):
            folder.mkdir(parents=True, exist_ok=True)

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with some fields replaced (``None`` values are ignored)."""
        given = {k: v for k, v in values.items() if v is not None or k == "cluster"}
        return replace(self, **given)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}. Fix the file or remove it.") from exc
    section = data.get("sparkgrove", data)
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [sparkgrove] must be a table of settings.")
    unknown = sorted(set(section) - {*_KEYS, "spark"})
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; allowed: {', '.join(_KEYS)}, spark."
        )
    return section


def load_settings(
    *,
    workspace: str | Path | None = None,
    catalog_url: str | None = None,
    spark_master: str | None = None,
    cluster: str | None = None,
    config_file: str | Path | None = None,
    spark_conf_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Resolve settings from defaults, ``sparkgrove.toml``, environment and arguments."""
    env = os.environ if environ is None else environ
    base = Path.cwd() if cwd is None else cwd
    values: dict[str, Any] = {
        "workspace": DEFAULT_WORKSPACE,
        "catalog_url": None,
        "spark_master": DEFAULT_SPARK_MASTER,
        "cluster": None,
        "s3_root": None,
        "connect_timeout": DEFAULT_CONNECT_TIMEOUT,
    }
    spark_conf: dict[str, str] = {}
    config_base = base
    config_path = Path(config_file or env.get(ENV_PREFIX + "CONFIG") or base / DEFAULT_CONFIG_FILE)
    if not config_path.is_absolute():
        config_path = base / config_path
    if config_path.exists():
        section = _read_toml(config_path)
        config_base = config_path.parent
        for key in _KEYS:
            if key in section:
                values[key] = section[key]
        spark_conf = {str(k): str(v) for k, v in dict(section.get("spark", {})).items()}
    elif config_file is not None:
        raise ConfigError(f"The config file {config_path} does not exist.")
    for key in _KEYS:
        env_value = env.get(ENV_PREFIX + key.upper())
        if env_value:
            values[key] = env_value
            if key == "workspace":
                config_base = base
    for key, given in (("workspace", workspace), ("catalog_url", catalog_url),
                       ("spark_master", spark_master), ("cluster", cluster)):
        if given is not None:
            values[key] = given
            if key == "workspace":
                config_base = base
    conf_file = spark_conf_file or env.get(ENV_PREFIX + "SPARK_CONF")
    if conf_file:
        path = Path(conf_file).expanduser()
        spark_conf.update(read_properties(path if path.is_absolute() else base / path))
    ws = Path(values["workspace"]).expanduser()
    if not ws.is_absolute():
        ws = (config_base / ws).resolve()
    url = values["catalog_url"] or f"sqlite:///{ws / 'catalog.db'}"
    master = str(values["spark_master"]).strip()
    if not master:
        raise ConfigError("spark_master is empty: use local[*], local[N] or spark://HOST:PORT.")
    s3_root = Path(values["s3_root"]).expanduser() if values["s3_root"] else None
    if s3_root is not None and not s3_root.is_absolute():
        s3_root = (config_base / s3_root).resolve()
    return Settings(workspace=ws, catalog_url=url, spark_master=master, spark_conf=spark_conf,
                    cluster=values["cluster"] or None, s3_root=s3_root,
                    connect_timeout=_seconds(values["connect_timeout"], "connect_timeout"))


SECRET_KEYS = ("spark.authenticate.secret", "spark.ssl.keyStorePassword", "spark.ssl.keyPassword",
               "spark.ssl.trustStorePassword")


def read_properties(path: Path) -> dict[str, str]:
    """A Spark properties file (``key value`` or ``key=value`` lines); one that holds a secret
    must not be readable by others."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"Cannot read the Spark properties file {path}: "
                          f"{exc.strerror or exc}.") from exc
    found: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        match = re.match(r"^([^\s=:]+)\s*[=:\s]\s*(.+)$", line)
        key, value = (match.group(1), match.group(2).strip()) if match else (line, "")
        if not key.startswith("spark.") or not value:
            raise ConfigError(f"{path}, line {number}: expected 'spark.some.key value'; got "
                              f"{raw.strip()!r}.")
        found[key] = value
    if any(k in found for k in SECRET_KEYS) and path.stat().st_mode & 0o077:
        raise ConfigError(f"{path} holds a secret but others can read it; `chmod 600 {path}`.")
    return found


def _seconds(value: Any, name: str) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise ConfigError(f"{name} must be a positive number of seconds "
                          f"({ENV_PREFIX}{name.upper()} or sparkgrove.toml); got {value!r}.")
    return seconds
