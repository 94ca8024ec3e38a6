"""A cluster on several hosts (EMR's primary, core and task groups on machines you have): checks
every host first, then starts Spark's standalone daemons on them over SSH, secure off loopback.

* Every host is checked before anything starts, and every problem is reported in one go, naming
  the host: reachable over SSH, Java 17+, the same Python and pyspark versions as this client,
  the workspace (warehouse and staging) on a file system it shares with this client.
* Each host gets the daemons' properties (with the cluster's secret) through SSH's standard
  input, mode 0600; the secret is never on a command line.
* Off loopback, security stays on: ``spark.authenticate`` and RPC encryption
  (``spark.network.crypto.enabled``) for the daemons, the executors and the drivers; the master
  and the workers bind the addresses the spec names; their web UIs bind 127.0.0.1 on their host
  (``SPARK_LOCAL_IP``), so the console and ``cluster status`` read them through SSH. A spec with
  ``[web_ui] tls = true`` puts the UIs on the hosts' addresses instead, behind TLS and signed
  tokens (:mod:`sparkgrove.cluster.web_ui`); they are then read over HTTPS.
"""

from __future__ import annotations

import json
import re
import shlex
import socket
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkgrove import processes
from sparkgrove.cluster import daemons, web_ui
from sparkgrove.cluster.remote import SshHost
from sparkgrove.cluster.spec import ClusterSpec
from sparkgrove.errors import EnvironmentProblem

if TYPE_CHECKING:
    from sparkgrove.cluster.manager import ClusterManager

# every socket stays open until all are bound, so that two asked on one address differ
_FREE_PORTS = ("import socket,sys\nheld=[]\nfor a in sys.argv[1:]:\n s=socket.socket()\n"
               " s.bind((a,0))\n held.append(s)\n print(s.getsockname()[1])")
_PORT_IN_USE = ("import socket,sys\nfor p in sys.argv[2:]:\n s=socket.socket()\n"
                " s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n try:\n"
                "  s.bind((sys.argv[1],int(p)))\n except OSError:\n  print(p)\n s.close()")
_FETCH = ("import sys,urllib.request\ntry:\n print(urllib.request.urlopen(sys.argv[1],timeout=3)"
          ".read().decode())\nexcept Exception:\n sys.exit(3)")


def ssh_host(manager: ClusterManager, spec: ClusterSpec, address: str) -> SshHost:
    """How to reach ``address`` of cluster ``spec``."""
    return SshHost(address, spec.ssh.get("user"), spec.ssh.get("key"),
                   int(spec.ssh.get("port", 22)), manager.folder(spec.name) / "known_hosts")


def all_hosts(spec: ClusterSpec) -> list[str]:
    """The primary, then the worker hosts, each once."""
    assert spec.primary is not None
    return list(dict.fromkeys([spec.primary, *(w["host"] for w in spec.worker_hosts)]))


def _java_major(text: str) -> int | None:
    match = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def fixed_ports(spec: ClusterSpec, address: str) -> list[int]:
    """The ports the spec fixes on ``address`` (the master's, on the primary)."""
    if address != spec.primary:
        return []
    return [p for p in (spec.master_port, spec.master_webui_port) if p is not None]


def _check_host(manager: ClusterManager, spec: ClusterSpec, address: str) -> list[str]:
    """Every problem of one host (an empty list: ready)."""
    import pyspark

    host = ssh_host(manager, spec, address)
    reach = host.run("true", timeout=30)
    if reach.code != 0:
        return [f"{address}: not reachable over SSH as {host.target} on port {host.port} "
                f"({reach.err or 'exit ' + str(reach.code)})"]
    problems = []
    java = host.run("java -version 2>&1", timeout=30)
    major = _java_major(java.out)
    if java.code != 0 or major is None:
        problems.append(f"{address}: no Java found on the PATH (install Java 17 or newer)")
    elif major < 17:
        problems.append(f"{address}: Java {major} found; Spark here needs Java 17 or newer")
    probe = (f"{shlex.quote(sys.executable)} -c 'import sys, pyspark; "
             "print(sys.version.split()[0], pyspark.__version__)'")
    versions = host.run(probe, timeout=60)
    want = f"{sys.version.split()[0]} {pyspark.__version__}"
    if versions.code != 0:
        problems.append(f"{address}: {sys.executable} with pyspark is not there (the workers run "
                        f"this client's Python {want.replace(' ', ' with pyspark ')})")
    elif versions.out.strip() != want:
        problems.append(f"{address}: Python and pyspark are {versions.out.strip()}; this client "
                        f"has {want} (use the same versions on every host)")
    shared = manager.settings.workspace / "clusters" / spec.name / "probe" / address
    wrote = host.run(f"mkdir -p {shlex.quote(str(shared.parent))} && echo {address} > "
                     f"{shlex.quote(str(shared))}", timeout=30)
    if wrote.code != 0 or not shared.is_file():
        problems.append(f"{address}: the workspace {manager.settings.workspace} (warehouse and "
                        "staging) is not on a file system this host shares with the client "
                        "(mount it at the same path on every host)")
    wanted = fixed_ports(spec, address)
    if wanted:
        taken = host.run(f"{shlex.quote(sys.executable)} -c {shlex.quote(_PORT_IN_USE)} "
                         f"{shlex.quote(address)} " + " ".join(map(str, wanted)), timeout=30)
        for port in taken.out.split():
            problems.append(f"{address}: port {port}, fixed by the spec's [primary], is in use "
                            "there (stop what holds it, or leave the port out for a free one)")
    return problems


def preflight(manager: ClusterManager, spec: ClusterSpec,
              hosts: list[str] | None = None) -> None:
    """Check every host (or ``hosts``) at once; raise one error listing every problem."""
    hosts = hosts if hosts is not None else all_hosts(spec)
    with ThreadPoolExecutor(max_workers=min(8, len(hosts))) as pool:
        found = list(pool.map(lambda a: _check_host(manager, spec, a), hosts))
    problems = [p for group in found for p in group]
    if problems:
        raise EnvironmentProblem(
            f"Cluster {spec.name} cannot start; nothing was started. Problems found:\n  - "
            + "\n  - ".join(problems))


def ui_address(spec: ClusterSpec, address: str) -> str:
    """Where the daemons of ``address`` bind their web UIs: loopback, or with ``[web_ui] tls``
    the host's own address."""
    return address if spec.ui_tls else processes.LOOPBACK


def remote_env(manager: ClusterManager, spec: ClusterSpec, address: str) -> dict[str, str]:
    """The daemons' environment on ``address``: where UIs bind, this client's Spark."""
    import os

    folder = manager.folder(spec.name)
    env = {"SPARK_HOME": str(daemons.spark_home()),
           "SPARK_LOCAL_IP": ui_address(spec, address),
           "SPARK_LOG_DIR": str(folder / "logs"), "SPARK_CONF_DIR": str(folder / "conf"),
           "PYSPARK_PYTHON": sys.executable, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if os.environ.get("JAVA_HOME"):
        env["JAVA_HOME"] = os.environ["JAVA_HOME"]
    env.update(spec.spark_env)
    return env


def free_ports(host: SshHost, *addresses: str) -> list[int]:
    """A free port on each of ``addresses`` of ``host``, as the host sees them."""
    out = host.check(f"{shlex.quote(sys.executable)} -c {shlex.quote(_FREE_PORTS)} "
                     + " ".join(shlex.quote(a) for a in addresses), "finding free ports")
    return [int(line) for line in out.split()]


def master_status(manager: ClusterManager, spec: ClusterSpec, web_url: str
                  ) -> dict[str, Any] | None:
    """The master's JSON status: over HTTPS with a token when its UI is on its host's address
    (``[web_ui] tls``), else read on its host through SSH (the UI listens on loopback there)."""
    if web_url.startswith("https://"):
        data = web_ui.fetch_json(web_url.rstrip("/") + "/json/", manager.secret(spec.name),
                                 web_ui.ca_file(manager.folder(spec.name)))
        return data if isinstance(data, dict) else None
    assert spec.primary is not None
    return master_json(ssh_host(manager, spec, spec.primary), int(web_url.rsplit(":", 1)[1]))


def master_json(host: SshHost, web_port: int) -> dict[str, Any] | None:
    """The master's JSON status, read on its host (its web UI listens on loopback there)."""
    ran = host.run(f"{shlex.quote(sys.executable)} -c {shlex.quote(_FETCH)} "
                   f"http://127.0.0.1:{web_port}/json/", timeout=20)
    if ran.code != 0:
        return None
    try:
        data: dict[str, Any] = json.loads(ran.out)
    except ValueError:
        return None
    return data


def client_address(master_host: str) -> str:
    """This client's address on the route to the master (where drivers bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((master_host, 7))  # no packet is sent: this only picks a route
        except OSError as exc:
            raise EnvironmentProblem(f"No route from this machine to the master host "
                                     f"{master_host}: {exc}.") from exc
        return str(probe.getsockname()[0])


def daemon_properties(secret: str, spec: ClusterSpec, ui: dict[str, str] | None = None) -> str:
    """The daemons' properties file: authentication, encryption, no REST submission, and the
    UI's TLS and token filter (``ui``) when the spec opts in."""
    props = {"spark.authenticate": "true", "spark.authenticate.secret": secret,
             "spark.network.crypto.enabled": "true", "spark.master.rest.enabled": "false",
             # a worker removed by `remove-workers` is drained first (SIGPWR)
             "spark.decommission.enabled": "true", **spec.spark_defaults, **(ui or {})}
    return "".join(f"{k} {v}\n" for k, v in props.items())


def _ui(manager: ClusterManager, spec: ClusterSpec, secret: str, address: str,
        ports: list[int]) -> dict[str, str]:
    """A daemon's UI properties: none on loopback; with ``[web_ui] tls``, TLS on its HTTPS port
    (the last of ``ports``) and the token filter."""
    if not spec.ui_tls:
        return {}
    store, password = web_ui.host_keystore(manager.folder(spec.name), address, spec.web_ui)
    return web_ui.ui_properties(secret, store, password, ports[-1])


def _ports(host: SshHost, wanted: Sequence[tuple[int | None, str]]) -> list[int]:
    """A port for each ``(fixed port or None, address it binds)``: fixed ones as given, the
    others free on the host."""
    free = iter(free_ports(host, *(a for p, a in wanted if p is None)))
    return [p if p is not None else next(free) for p, _ in wanted]


def start_daemons(manager: ClusterManager, spec: ClusterSpec, secret: str, timeout: float,
                  record: Any) -> tuple[str, str, list[dict[str, Any]]]:
    """Bootstrap every host, start the master and the workers, wait until all registered.
    ``record(master_url, web_url, started)`` is called after each start (so that a ``cluster
    up`` killed part way leaves a record ``down`` can use). Returns the master URL, its web
    address (on the primary's loopback) and the processes started."""
    assert spec.primary is not None
    folder = manager.folder(spec.name)
    env = remote_env(manager, spec, spec.primary)
    spark_class = str(daemons.spark_home() / "bin" / "spark-class")
    primary = ssh_host(manager, spec, spec.primary)
    for command in spec.bootstrap:  # EMR's bootstrap actions: on every host, before Spark
        primary.check(f"cd {shlex.quote(str(folder))} && {command}",
                      f"the bootstrap command {command!r}", timeout=600)
    bind = ui_address(spec, spec.primary)  # RPC, web UI and, with TLS, its HTTPS port
    ports = _ports(primary, [(spec.master_port, spec.primary), (spec.master_webui_port, bind)]
                   + ([(None, bind)] if spec.ui_tls else []))
    master_port, web_port = ports[0], ports[1]
    ui = _ui(manager, spec, secret, spec.primary, ports)
    conf = folder / "hosts" / spec.primary / "master.conf"
    primary.write_private(conf, daemon_properties(secret, spec, ui))
    master_url = f"spark://{spec.primary}:{master_port}"
    web_url = (f"https://{spec.primary}:{ports[-1]}" if spec.ui_tls
               else f"http://{processes.LOOPBACK}:{web_port}")
    started: list[dict[str, Any]] = []
    record(master_url, web_url, started)
    log = folder / "logs" / f"master-{spec.primary}.log"
    pid = primary.start([spark_class, daemons.MASTER_CLASS, "--host", spec.primary, "--port",
                         str(master_port), "--webui-port", str(web_port), "--properties-file",
                         str(conf)], log, env, folder)
    started.append({"role": "master", "pid": pid, "marker": daemons.MASTER_CLASS,
                    "host": spec.primary, "ports": ports, "ui": web_url, "log": str(log)})
    record(master_url, web_url, started)

    def status() -> dict[str, Any] | None:
        return master_status(manager, spec, web_url)

    _wait(manager, spec, lambda: status() is not None, timeout, "the master to answer", started)
    for worker in spec.worker_hosts:
        started += start_workers(manager, spec, secret, master_url, [worker])
        record(master_url, web_url, started)

    def all_registered() -> bool:
        found = status()
        return found is not None and found.get("aliveworkers", 0) >= len(spec.worker_hosts)

    _wait(manager, spec, all_registered, timeout,
          f"{len(spec.worker_hosts)} worker(s) to register", started)
    return master_url, web_url, started


def _wait(manager: ClusterManager, spec: ClusterSpec, ready: Any, timeout: float, what: str,
          started: list[dict[str, Any]]) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        for proc in started:
            if not ssh_host(manager, spec, proc["host"]).alive(proc["pid"]):
                raise EnvironmentProblem(
                    f"The {proc['role']} daemon on {proc['host']} exited while waiting for "
                    f"{what}; its log ({proc['log']}) ends with:\n"
                    f"{processes.log_tail(Path(proc['log']))}")
        time.sleep(0.5)
    tails = "\n".join(f"--- {p['role']} on {p['host']} ({p['log']}):\n"
                      f"{processes.log_tail(Path(p['log']), 8)}" for p in started)
    raise EnvironmentProblem(f"Timed out after {timeout:.0f}s waiting for {what}.\n{tails}")


def start_workers(manager: ClusterManager, spec: ClusterSpec, secret: str, master_url: str,
                  workers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Start a worker daemon on each of ``workers``' hosts (their properties copied first)."""
    folder = manager.folder(spec.name)
    spark_class = str(daemons.spark_home() / "bin" / "spark-class")
    started = []
    for worker in workers:
        address = worker["host"]
        host = ssh_host(manager, spec, address)
        for command in spec.bootstrap:
            host.check(f"cd {shlex.quote(str(folder))} && {command}",
                       f"the bootstrap command {command!r}", timeout=600)
        bind = ui_address(spec, address)  # web UI and, with TLS, its HTTPS port
        ports = _ports(host, [(None, bind)] + ([(None, bind)] if spec.ui_tls else []))
        ui = _ui(manager, spec, secret, address, ports)
        conf = folder / "hosts" / address / "worker.conf"
        host.write_private(conf, daemon_properties(secret, spec, ui))
        log = folder / "logs" / f"worker-{address}.log"
        pid = host.start(
            [spark_class, daemons.WORKER_CLASS, master_url, "--host", address, "--cores",
             str(worker["cores"]), "--memory", worker["memory"], "--webui-port", str(ports[0]),
             "--work-dir", str(folder / "work" / address), "--properties-file", str(conf)],
            log, remote_env(manager, spec, address), folder)
        ui_url = (f"https://{address}:{ports[-1]}" if spec.ui_tls
                  else f"http://{processes.LOOPBACK}:{ports[0]} on {address}")
        started.append({"role": "worker", "pid": pid, "marker": daemons.WORKER_CLASS,
                        "host": address, "group": worker["group"], "ports": ports,
                        "ui": ui_url, "log": str(log)})
    return started


def drain_worker(host: SshHost, pid: int, status: Callable[[], dict[str, Any] | None],
                 timeout: float) -> bool:
    """Decommission the worker ``pid`` (SIGPWR: Spark stops giving its executors tasks and lets
    running ones finish) and wait until the master (``status``) no longer counts it alive;
    whether it drained within ``timeout``."""
    import time

    before = status() or {}
    ours = [w for w in before.get("workers", []) if w.get("host") == host.address
            and w.get("state") == "ALIVE"]
    host.run(f"kill -PWR {int(pid)}", timeout=20)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = status() or {}
        alive = [w for w in now.get("workers", []) if w.get("host") == host.address
                 and w.get("state") == "ALIVE"]
        busy = [w for w in now.get("workers", []) if w.get("host") == host.address
                and w.get("coresused", 0) > 0]
        if not alive and not busy:
            return True
        time.sleep(0.5)
    return not ours
