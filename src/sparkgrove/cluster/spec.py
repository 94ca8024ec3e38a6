"""The cluster spec, shaped after EMR's: workers, Spark configurations by classification,
an idle timeout for auto-termination, and bootstrap commands.

A spec file is TOML::

    name = "analytics"
    workers = 2                # worker daemons
    cores = 1                  # cores per worker
    memory = "2g"              # memory per worker (for executors)
    idle_timeout = "30m"       # shut down after this long with no step or application; 0: never
    bootstrap = ["echo ready"] # shell commands run before the workers start

    [[configurations]]
    classification = "spark-defaults"
    properties = { "spark.executor.memory" = "1g" }

    [[configurations]]
    classification = "spark-env"
    properties = { SPARK_WORKER_OPTS = "-Dspark.worker.cleanup.enabled=true" }

On several machines (EMR's instance groups, on hosts you have), the spec names them; the
workers are then the hosts of the core and task groups, each with its cores and memory::

    name = "shared"
    idle_timeout = "2h"

    [primary]                        # the master's host, and the address it binds
    host = "10.0.0.5"
    port = 7077                      # optional: the master's port (default: a free one)
    webui_port = 8080                # optional: its web UI's port (default: a free one)

    [[core]]                         # one worker per host
    hosts = ["10.0.0.6", "10.0.0.7"]
    cores = 8
    memory = "28g"

    [[task]]
    hosts = ["10.0.0.8"]
    cores = 4
    memory = "14g"

    [ssh]                            # how sparkgrove reaches them (the system's ssh client)
    user = "spark"
    key = "~/.ssh/cluster_ed25519"
    port = 22

    [web_ui]                         # optional: UIs on the hosts' addresses, over TLS, each
    tls = true                       # request signed with a token (default: loopback only)
    keystore = "/etc/spark/ui.p12"   # optional PKCS12 keystore (default: a self-signed
    password_file = "/etc/spark/ui.pw"  # certificate per host); its password, mode 0600

or a JSON file: EMR's configurations list as AWS documents it (``[{"Classification":
"spark-defaults", "Properties": {...}}, ...]``, the other fields then come from flags), or an
object with the fields above. Configurations are read by :mod:`sparkgrove.cluster.emr_config`.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparkgrove.cluster.emr_config import maximized_defaults, parse_configurations
from sparkgrove.errors import ConfigError
from sparkgrove.names import check_name

ALLOWED_KEYS = ("name", "workers", "cores", "memory", "idle_timeout", "bootstrap",
                "configurations", "primary", "core", "task", "ssh", "web_ui")
GROUPS = ("core", "task")
SECURE_DEFAULTS = {"spark.authenticate": "true", "spark.network.crypto.enabled": "true"}
"""What a cluster off loopback keeps on: a spec setting either to anything else is refused."""
DEFAULT_WORKERS = 2
DEFAULT_CORES = 1
DEFAULT_MEMORY = "1g"
_MEMORY = re.compile(r"^(\d+)([kmgt])b?$", re.IGNORECASE)
_DURATION = re.compile(r"^(\d+)\s*([smhd]?)$")
_UNITS = {"k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class ClusterSpec:
    """A validated cluster spec."""

    name: str
    workers: int = DEFAULT_WORKERS
    cores: int = DEFAULT_CORES
    memory: str = DEFAULT_MEMORY
    idle_timeout: int = 0
    bootstrap: tuple[str, ...] = ()
    spark_defaults: dict[str, str] = field(default_factory=dict)
    spark_env: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, str] = field(default_factory=dict)
    primary: str | None = None
    """The master's host; ``None``: every daemon on this machine, on loopback."""
    worker_hosts: tuple[dict[str, Any], ...] = ()
    """One entry per worker: ``host``, ``group`` (core or task), ``cores``, ``memory``."""
    ssh: dict[str, Any] = field(default_factory=dict)
    """``user``, ``key`` (a file), ``port``."""
    master_port: int | None = None
    """The master's RPC port on ``primary``; ``None``: a free port chosen at ``up``."""
    master_webui_port: int | None = None
    """The master's web UI port; ``None``: a free port chosen at ``up``."""
    web_ui: dict[str, Any] = field(default_factory=dict)
    """Empty: the daemons' UIs on loopback. Else ``tls`` (true), ``keystore`` and
    ``password_file`` (both optional): UIs on the hosts' addresses, see :mod:`.web_ui`."""

    @property
    def ui_tls(self) -> bool:
        """Whether the daemons' web UIs listen on their hosts' addresses, over TLS."""
        return bool(self.web_ui.get("tls"))

    @property
    def remote(self) -> bool:
        """Whether the daemons run on other hosts, reached over SSH."""
        return self.primary is not None

    @property
    def memory_bytes(self) -> int:
        """Memory per worker in bytes."""
        return parse_memory(self.memory, "memory")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClusterSpec:
        """Read what :meth:`to_dict` wrote."""
        return cls(name=data["name"], workers=data["workers"], cores=data["cores"],
                   memory=data["memory"], idle_timeout=data["idle_timeout"],
                   bootstrap=tuple(data["bootstrap"]),
                   spark_defaults=dict(data["spark_defaults"]),
                   spark_env=dict(data["spark_env"]), metrics=dict(data.get("metrics", {})),
                   primary=data.get("primary"),
                   worker_hosts=tuple(dict(w) for w in data.get("worker_hosts", ())),
                   ssh=dict(data.get("ssh", {})), master_port=data.get("master_port"),
                   master_webui_port=data.get("master_webui_port"),
                   web_ui=dict(data.get("web_ui", {})))


def parse_memory(text: str, where: str) -> int:
    """Bytes of a Spark memory string such as ``512m`` or ``2g``."""
    match = _MEMORY.match(str(text).strip())
    if not match:
        raise ConfigError(f"The cluster spec's {where!r} must be a size such as 512m or 2g; "
                          f"got {text!r}.")
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def parse_duration(value: Any, where: str) -> int:
    """Seconds of ``30``, ``"90s"``, ``"30m"``, ``"2h"``."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = _DURATION.match(str(value).strip())
    if not match:
        raise ConfigError(f"The cluster spec's {where!r} must be a duration such as 300, '90s', "
                          f"'30m' or '2h' (0 for never); got {value!r}.")
    return int(match.group(1)) * _SECONDS[match.group(2)]


def machine_memory() -> int:
    """Physical memory of this machine in bytes."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2**40


def build_spec(data: dict[str, Any], *, source: str = "the cluster spec") -> ClusterSpec:
    """Validate a spec given as a dict (from a file or from flags); name the field at fault."""
    unknown = sorted(set(data) - set(ALLOWED_KEYS))
    if unknown:
        raise ConfigError(f"{source}: unknown field(s) {', '.join(unknown)}; allowed: "
                          f"{', '.join(ALLOWED_KEYS)}.")
    if "name" not in data:
        raise ConfigError(f"{source}: the field 'name' is required.")
    name = check_name(str(data["name"]), "cluster")
    if any(key in data for key in ("primary", *GROUPS, "ssh", "web_ui")):
        return _build_hosts_spec(data, name, source)
    workers = data.get("workers", DEFAULT_WORKERS)
    cores = data.get("cores", DEFAULT_CORES)
    for field_name, value in (("workers", workers), ("cores", cores)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{source}: {field_name!r} must be a whole number >= 1; got "
                              f"{value!r}.")
    memory = str(data.get("memory", DEFAULT_MEMORY))
    per_worker = parse_memory(memory, "memory")
    available = machine_memory()
    if per_worker * workers > available:
        raise ConfigError(
            f"{source}: 'memory' {memory} x {workers} workers is more than this machine's "
            f"{available / 2**30:.1f} GiB; lower 'memory' or 'workers'.")
    if per_worker < 256 * 2**20:
        raise ConfigError(f"{source}: 'memory' must be at least 256m per worker; got {memory}.")
    bootstrap = _bootstrap(data, source)
    read = parse_configurations(data.get("configurations", []), source=source)
    defaults = dict(read.spark_defaults)
    if read.maximize_resource_allocation:
        defaults = {**maximized_defaults(workers, cores, per_worker // 2**20), **defaults}
    _check_executor_fits(defaults, cores, per_worker, memory, source)
    return ClusterSpec(name=name, workers=workers, cores=cores, memory=memory,
                       idle_timeout=parse_duration(data.get("idle_timeout", 0), "idle_timeout"),
                       bootstrap=tuple(bootstrap), spark_defaults=defaults,
                       spark_env=dict(read.spark_env), metrics=dict(read.metrics))


def _bootstrap(data: dict[str, Any], source: str) -> list[str]:
    bootstrap = data.get("bootstrap", [])
    if not isinstance(bootstrap, list) or not all(isinstance(c, str) for c in bootstrap):
        raise ConfigError(f"{source}: 'bootstrap' must be a list of shell command strings.")
    return bootstrap


def _host(value: Any, where: str, source: str) -> str:
    text = str(value).strip() if isinstance(value, str) else ""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.:-]{0,252}", text):
        raise ConfigError(f"{source}: {where} must be a host name or an IP address; got "
                          f"{value!r}.")
    return text


def _build_hosts_spec(data: dict[str, Any], name: str, source: str) -> ClusterSpec:
    """A spec whose daemons run on named hosts (EMR's primary, core and task groups)."""
    for flat in ("workers", "cores", "memory"):
        if flat in data:
            raise ConfigError(f"{source}: {flat!r} is given per group ([[core]] and [[task]]) "
                              "when the spec names hosts; remove the top-level one.")
    primary = data.get("primary")
    if not isinstance(primary, dict) or "host" not in primary:
        raise ConfigError(f"{source}: [primary] with a 'host' is required when the spec names "
                          "hosts.")
    if set(primary) - {"host", "port", "webui_port"}:
        raise ConfigError(f"{source}: [primary] takes 'host', 'port' and 'webui_port'; got "
                          f"{', '.join(sorted(set(primary) - {'host', 'port', 'webui_port'}))}.")
    master = _host(primary["host"], "primary.host", source)
    ports = {key: _port(primary.get(key), f"primary.{key}", source)
             for key in ("port", "webui_port")}
    if ports["port"] is not None and ports["port"] == ports["webui_port"]:
        raise ConfigError(f"{source}: primary.port and primary.webui_port must differ.")
    workers: list[dict[str, Any]] = []
    for group in GROUPS:
        entries = data.get(group, [])
        if not isinstance(entries, list):
            raise ConfigError(f"{source}: {group!r} must be a list of groups ([[{group}]]).")
        for i, entry in enumerate(entries):
            where = f"{group}[{i}]"
            hosts = entry.get("hosts") if isinstance(entry, dict) else None
            if not isinstance(hosts, list) or not hosts:
                raise ConfigError(f"{source}: {where}.hosts must be a non-empty list of hosts.")
            cores = entry.get("cores", DEFAULT_CORES)
            if not isinstance(cores, int) or isinstance(cores, bool) or cores < 1:
                raise ConfigError(f"{source}: {where}.cores must be a whole number >= 1; got "
                                  f"{cores!r}.")
            memory = str(entry.get("memory", DEFAULT_MEMORY))
            if parse_memory(memory, f"{where}.memory") < 256 * 2**20:
                raise ConfigError(f"{source}: {where}.memory must be at least 256m; got "
                                  f"{memory}.")
            workers += [{"host": _host(h, f"{where}.hosts", source), "group": group,
                         "cores": cores, "memory": memory} for h in hosts]
    if not workers:
        raise ConfigError(f"{source}: a spec with hosts needs at least one [[core]] group.")
    seen = [w["host"] for w in workers]
    twice = sorted({h for h in seen if seen.count(h) > 1})
    if twice:
        raise ConfigError(f"{source}: host(s) {', '.join(twice)} appear in more than one group; "
                          "a host runs one worker.")
    ssh = data.get("ssh", {})
    if not isinstance(ssh, dict) or set(ssh) - {"user", "key", "port"}:
        raise ConfigError(f"{source}: [ssh] takes 'user', 'key' and 'port'.")
    port = _port(ssh.get("port", 22), "ssh.port", source)
    key = ssh.get("key")
    if key is not None:
        key = str(Path(str(key)).expanduser())
        if not Path(key).is_file():
            raise ConfigError(f"{source}: ssh.key {key} is not a file.")
    bootstrap = _bootstrap(data, source)
    read = parse_configurations(data.get("configurations", []), source=source)
    defaults = dict(read.spark_defaults)
    for key_name, wanted in SECURE_DEFAULTS.items():
        if defaults.get(key_name, wanted).strip().lower() != wanted:
            raise ConfigError(f"{source}: {key_name} must stay {wanted} on a cluster of several "
                              f"hosts (its ports are reachable from the network); got "
                              f"{defaults[key_name]!r}. Remove the setting.")
    if "SPARK_LOCAL_IP" in read.spark_env or "SPARK_PUBLIC_DNS" in read.spark_env:
        raise ConfigError(f"{source}: spark-env's SPARK_LOCAL_IP/SPARK_PUBLIC_DNS are set by "
                          "sparkgrove: the daemons bind the spec's host addresses and keep their "
                          "web UIs on loopback (or, with [web_ui] tls, on those addresses). "
                          "Remove them.")
    web_ui = _web_ui(data.get("web_ui"), defaults, source)
    cores = min(w["cores"] for w in workers)
    memory = min((w["memory"] for w in workers), key=lambda m: parse_memory(m, "memory"))
    _check_executor_fits(defaults, cores, parse_memory(memory, "memory"), memory, source)
    return ClusterSpec(name=name, workers=len(workers), cores=cores, memory=memory,
                       idle_timeout=parse_duration(data.get("idle_timeout", 0), "idle_timeout"),
                       bootstrap=tuple(bootstrap), spark_defaults=defaults,
                       spark_env=dict(read.spark_env), metrics=dict(read.metrics),
                       primary=master, worker_hosts=tuple(workers),
                       ssh={"user": ssh.get("user"), "key": key, "port": port},
                       master_port=ports["port"], master_webui_port=ports["webui_port"],
                       web_ui=web_ui)


def _port(value: Any, where: str, source: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 65536:
        raise ConfigError(f"{source}: {where} must be a port number (1-65535); got {value!r}.")
    return value


_UI_OWNED = ("spark.ui.filters", "spark.ssl.standalone.", "spark.org.apache.spark.ui.")


def _web_ui(value: Any, defaults: dict[str, str], source: str) -> dict[str, Any]:
    """``[web_ui]``: absent, the UIs stay on loopback; else TLS and tokens, never plain."""
    owned = sorted(k for k in defaults if k.startswith(_UI_OWNED))
    if owned:
        raise ConfigError(f"{source}: {', '.join(owned)} are set by sparkgrove on a cluster of "
                          "several hosts (UIs on loopback, or TLS and tokens with [web_ui]); "
                          "remove them and use [web_ui] tls, keystore and password_file.")
    if value is None:
        return {}
    if not isinstance(value, dict) or set(value) - {"tls", "keystore", "password_file"}:
        raise ConfigError(f"{source}: [web_ui] takes 'tls', 'keystore' and 'password_file'.")
    if value.get("tls") is not True:
        raise ConfigError(f"{source}: web_ui.tls must be true: a web UI on a host's address "
                          "without TLS would be readable and forgeable on the network. Remove "
                          "[web_ui] to keep the UIs on loopback.")
    keystore, password = value.get("keystore"), value.get("password_file")
    if (keystore is None) != (password is None):
        raise ConfigError(f"{source}: web_ui.keystore and web_ui.password_file go together "
                          "(or leave both out for a self-signed certificate per host).")
    web_ui: dict[str, Any] = {"tls": True}
    if keystore is not None:
        for field_name, text in (("keystore", keystore), ("password_file", password)):
            path = Path(str(text)).expanduser()
            if not path.is_file():
                raise ConfigError(f"{source}: web_ui.{field_name} {path} is not a file.")
            web_ui[field_name] = str(path)
    return web_ui


def _check_executor_fits(defaults: dict[str, str], cores: int, per_worker: int, memory: str,
                         source: str) -> None:
    """Refuse executors no worker can hold: Spark would wait for them forever."""
    if "spark.executor.memory" in defaults:
        wanted = parse_memory(defaults["spark.executor.memory"], "spark.executor.memory")
        if wanted > per_worker:
            raise ConfigError(
                f"{source}: spark.executor.memory {defaults['spark.executor.memory']} is more "
                f"than a worker holds ({memory}); no executor could start. Lower it or raise "
                "'memory'.")
    if "spark.executor.cores" in defaults:
        text = defaults["spark.executor.cores"]
        if not text.isdigit() or int(text) < 1:
            raise ConfigError(f"{source}: spark.executor.cores must be a whole number >= 1; "
                              f"got {text!r}.")
        if int(text) > cores:
            raise ConfigError(f"{source}: spark.executor.cores {text} is more than a worker has "
                              f"({cores}); no executor could start. Lower it or raise 'cores'.")


def load_spec(path: str | Path, **overrides: Any) -> ClusterSpec:
    """Read and validate a spec file (TOML, or JSON as EMR writes configurations);
    ``overrides`` (flags) win over the file."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"Cannot read the cluster spec {source}: {exc.strerror}.") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"The cluster spec {source} is not UTF-8 text.") from exc
    data: Any
    if source.suffix.lower() == ".json" or text.lstrip().startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                              f"column {exc.colno}.") from exc
        if isinstance(data, dict) and ("Classification" in data or "classification" in data):
            raise ConfigError(f"{source} holds one configuration object; EMR's configurations "
                              "must be a list: wrap it in [ ].")
        if isinstance(data, list):  # EMR's --configurations file: the list alone
            data = {"configurations": data}
        elif isinstance(data, dict) and "Configurations" in data and "configurations" not in data:
            data = {**{k: v for k, v in data.items() if k != "Configurations"},
                    "configurations": data["Configurations"]}
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: a JSON spec is a list of EMR configurations or an "
                              "object with the spec's fields.")
        data.setdefault("name", "default")
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source} is not valid TOML: {exc}.") from exc
    data.update({k: v for k, v in overrides.items() if v is not None})
    return build_spec(data, source=str(source))
