"""Clusters: bring Spark standalone daemons up from a spec, report their state, tear them down.

A cluster's files live in ``<workspace>/clusters/<name>/``: the generated secret and the
daemons' properties file (both readable by the owner alone), the daemons' logs, the workers'
work folders, and step logs. Its record (state, URLs, spec, process ids) is in the store.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparkgrove import processes
from sparkgrove.cluster import daemons
from sparkgrove.cluster.spec import ClusterSpec, parse_memory
from sparkgrove.errors import AlreadyExistsError, EnvironmentProblem, NotFoundError
from sparkgrove.java import check_java
from sparkgrove.jsonable import to_jsonable
from sparkgrove.settings import Settings
from sparkgrove.store.cluster_store import ClusterRecord, ClusterStore
from sparkgrove.store.db import Database
from sparkgrove.store.states import ClusterState
from sparkgrove.store.step_store import StepStore

CONNECT_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
DEFAULT_START_TIMEOUT = 120.0


@dataclass(frozen=True)
class ClusterInfo:
    """A cluster's record."""

    name: str
    state: ClusterState
    master_url: str
    web_url: str
    spec: ClusterSpec
    processes: list[dict[str, Any]]
    message: str
    created_at: dt.datetime
    updated_at: dt.datetime

def parse_memory_mb(text: str) -> int:
    """Megabytes of a Spark memory string."""
    return parse_memory(text, "memory") // 2**20


def _info(record: ClusterRecord) -> ClusterInfo:
    return ClusterInfo(record.name, record.state, record.master_url, record.web_url,
                       ClusterSpec.from_dict(record.spec), record.processes, record.message,
                       record.created_at, record.updated_at)


class ClusterManager:
    """Brings clusters of one workspace up and down."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.db = database
        self.records = ClusterStore(database)

    # ---- files ---------------------------------------------------------------------------
    def folder(self, name: str) -> Path:
        """The cluster's folder in the workspace."""
        return self.settings.workspace / "clusters" / name

    def secret(self, name: str) -> str:
        """The cluster's shared secret."""
        path = self.folder(name) / "secret"
        try:
            return path.read_text().strip()
        except OSError as exc:
            raise NotFoundError(f"Cluster {name!r} has no secret file at {path}; bring it up "
                                "with `sparkgrove cluster up`.") from exc

    @staticmethod
    def _write_private(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(path, 0o600)

    def daemon_env(self, spec: ClusterSpec) -> dict[str, str]:
        """Environment of the daemons: loopback only, this pyspark's Spark, the spec's env."""
        folder = self.folder(spec.name)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYSPARK_GATEWAY")}
        env.update({"SPARK_HOME": str(daemons.spark_home()), "SPARK_LOCAL_IP": processes.LOOPBACK,
                    "SPARK_LOG_DIR": str(folder / "logs"), "SPARK_CONF_DIR": str(folder / "conf"),
                    "PYSPARK_PYTHON": sys.executable})
        env.update(spec.spark_env)
        return env

    # ---- records -------------------------------------------------------------------------
    def get(self, name: str) -> ClusterInfo:
        """The record of cluster ``name``."""
        return _info(self.records.get(name))

    def list_clusters(self) -> list[ClusterInfo]:
        """Every cluster record, newest first."""
        return [_info(r) for r in self.records.all()]

    def save_record(self, spec: ClusterSpec, state: ClusterState, master_url: str, web_url: str,
                    processes: list[dict[str, Any]], message: str) -> None:
        """Record the cluster's spec, state, addresses and processes."""
        self.records.save(spec.name, state=state, master_url=master_url, web_url=web_url,
                          spec=to_jsonable(spec), processes=processes, message=message)

    # ---- lifecycle -----------------------------------------------------------------------
    def is_up(self, info: ClusterInfo) -> bool:
        """Whether the cluster's master process is alive."""
        master = next((p for p in info.processes if p["role"] == "master"), None)
        return master is not None and self.alive(info.spec, master)

    def alive(self, spec: ClusterSpec, proc: dict[str, Any]) -> bool:
        """Whether a recorded process runs (on its host, for a cluster of several hosts)."""
        if proc.get("host"):
            from sparkgrove.cluster.multihost import ssh_host

            return ssh_host(self, spec, proc["host"]).alive(proc["pid"], proc["marker"])
        return processes.process_alive(proc["pid"], proc["marker"])

    def stop(self, spec: ClusterSpec, proc: dict[str, Any]) -> bool:
        """Stop a recorded process, on its host; whether it was running."""
        if proc.get("host"):
            from sparkgrove.cluster.multihost import ssh_host

            return ssh_host(self, spec, proc["host"]).stop(proc["pid"], proc["marker"])
        return processes.stop_process(proc["pid"], proc["marker"])

    def master_json(self, info: ClusterInfo) -> dict[str, Any] | None:
        """What the master reports about itself, or ``None`` when it does not answer."""
        master = next((p for p in info.processes if p["role"] == "master"), None)
        if master is not None and master.get("host"):
            from sparkgrove.cluster.multihost import master_status

            return master_status(self, info.spec, info.web_url)
        return daemons.master_json(info.web_url)

    def up(self, spec: ClusterSpec, *, timeout: float = DEFAULT_START_TIMEOUT,
           start_step_runner: bool = True, connect: bool = False) -> ClusterInfo:
        """Start a master and the workers, wait for every worker to register, record it all."""
        check_java()
        try:
            existing: ClusterInfo | None = self.get(spec.name)
        except NotFoundError:
            existing = None
        if existing is not None and existing.state == ClusterState.STARTING:
            alive = [p for p in existing.processes
                     if processes.process_alive(p["pid"], p["marker"])]
            alive += [{"pid": pid} for pid in processes.processes_mentioning(
                str(self.folder(spec.name))) if pid not in {p["pid"] for p in alive}]
            if alive:
                raise AlreadyExistsError(
                    f"Cluster {spec.name!r} is STARTING with {len(alive)} live process(es): an "
                    f"interrupted `cluster up`, or one still running. `sparkgrove cluster down "
                    f"{spec.name}` stops them.")
        if existing is not None and existing.state == ClusterState.RUNNING:
            if self.is_up(existing):
                raise AlreadyExistsError(
                    f"Cluster {spec.name!r} is already running at {existing.master_url}; "
                    f"`sparkgrove cluster down {spec.name}` first.")
            self.down(spec.name, reason="stale record of a cluster whose master had died")
        folder = self.folder(spec.name)
        if spec.remote:
            from sparkgrove.cluster.multihost import preflight

            preflight(self, spec)  # every host checked, every problem named, before anything
        for sub in ("work", "conf"):
            shutil.rmtree(folder / sub, ignore_errors=True)
            (folder / sub).mkdir(parents=True, exist_ok=True)
        (folder / "logs").mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(32)
        self._write_private(folder / "secret", secret + "\n")
        props = {"spark.authenticate": "true", "spark.authenticate.secret": secret,
                 "spark.master.rest.enabled": "false", **spec.spark_defaults}
        self._write_private(folder / "daemon.conf",
                            "".join(f"{k} {v}\n" for k, v in props.items()))
        if spec.metrics:  # EMR's spark-metrics classification: the daemons' metrics.properties
            (folder / "conf" / "metrics.properties").write_text(
                "".join(f"{k}={v}\n" for k, v in spec.metrics.items()))
        # Drivers read the secret from this file, never from their command line.
        crypto = "spark.network.crypto.enabled true\n" if spec.remote else ""
        self._write_private(folder / "client.conf",
                            f"spark.authenticate true\nspark.authenticate.secret {secret}\n"
                            + crypto)
        if spec.remote:
            return self._up_remote(spec, secret, timeout, start_step_runner)
        env = self.daemon_env(spec)
        self._bootstrap(spec, env)
        started: list[dict[str, Any]] = []
        master_port, web_port = processes.free_port(), processes.free_port()
        master_url = f"spark://{processes.LOOPBACK}:{master_port}"
        web_url = f"http://{processes.LOOPBACK}:{web_port}"
        spark_class = str(daemons.spark_home() / "bin" / "spark-class")
        # Recorded before anything starts and after each process starts, so that a `cluster
        # up` killed at any point leaves a record from which `status` and `down` find them.
        self.save_record(spec, ClusterState.STARTING, master_url, web_url, [], "starting")
        try:
            pid = processes.start_process(
                [spark_class, daemons.MASTER_CLASS, "--host", processes.LOOPBACK, "--port",
                 str(master_port), "--webui-port", str(web_port), "--properties-file",
                 str(folder / "daemon.conf")], folder / "logs" / "master.log", env)
            started.append({"role": "master", "pid": pid, "marker": daemons.MASTER_CLASS,
                            "ports": [master_port, web_port],
                            "log": str(folder / "logs" / "master.log")})
            self.save_record(spec, ClusterState.STARTING, master_url, web_url, started, "starting")
            self._wait(lambda: daemons.master_json(web_url) is not None, timeout,
                       "the master to answer", started)
            for i in range(spec.workers):
                worker_web = processes.free_port()
                log = folder / "logs" / f"worker-{i + 1}.log"
                pid = processes.start_process(
                    [spark_class, daemons.WORKER_CLASS, master_url, "--host", processes.LOOPBACK,
                     "--cores", str(spec.cores), "--memory", spec.memory, "--webui-port",
                     str(worker_web), "--work-dir", str(folder / "work" / f"worker-{i + 1}"),
                     "--properties-file", str(folder / "daemon.conf")], log, env)
                started.append({"role": "worker", "pid": pid, "marker": daemons.WORKER_CLASS,
                                "ports": [worker_web], "log": str(log)})
                self.save_record(spec, ClusterState.STARTING, master_url, web_url, started, "starting")

            def all_registered() -> bool:
                status = daemons.master_json(web_url)
                return status is not None and status.get("aliveworkers", 0) >= spec.workers

            self._wait(all_registered, timeout, f"{spec.workers} worker(s) to register", started)
            if connect:
                started.append(self._start_connect(spec, master_url, env, timeout, started))
                self.save_record(spec, ClusterState.STARTING, master_url, web_url, started, "starting")
            if start_step_runner:
                log = folder / "logs" / "step-runner.log"
                pid = processes.start_process(
                    [sys.executable, "-m", "sparkgrove.cluster.runner", "--workspace",
                     str(self.settings.workspace), "--catalog-url", self.settings.catalog_url,
                     spec.name], log, env)
                started.append({"role": "step-runner", "pid": pid,
                                "marker": "sparkgrove.cluster.runner", "ports": [],
                                "log": str(log)})
                self.save_record(spec, ClusterState.STARTING, master_url, web_url, started, "starting")
        except BaseException as exc:
            for proc in reversed(started):
                processes.stop_process(proc["pid"], proc["marker"])
            self.save_record(spec, ClusterState.TERMINATED_WITH_ERRORS, master_url, web_url, started,
                       f"start failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
            raise
        self.save_record(spec, ClusterState.RUNNING, master_url, web_url, started, "")
        return self.get(spec.name)

    def _up_remote(self, spec: ClusterSpec, secret: str, timeout: float,
                   start_step_runner: bool) -> ClusterInfo:
        """``up`` for a spec that names hosts: daemons over SSH, the step runner here."""
        from sparkgrove.cluster.multihost import start_daemons

        folder = self.folder(spec.name)
        started: list[dict[str, Any]] = []
        urls = {"master": "", "web": ""}

        def record(master_url: str, web_url: str, procs: list[dict[str, Any]]) -> None:
            urls.update(master=master_url, web=web_url)
            started[:] = procs
            self.save_record(spec, ClusterState.STARTING, master_url, web_url, list(procs),
                       "starting")

        self.save_record(spec, ClusterState.STARTING, "", "", [], "starting")
        try:
            master_url, web_url, daemons_started = start_daemons(self, spec, secret, timeout,
                                                                 record)
            started[:] = daemons_started
            if start_step_runner:
                log = folder / "logs" / "step-runner.log"
                pid = processes.start_process(
                    [sys.executable, "-m", "sparkgrove.cluster.runner", "--workspace",
                     str(self.settings.workspace), "--catalog-url", self.settings.catalog_url,
                     spec.name], log, self.daemon_env(spec))
                started.append({"role": "step-runner", "pid": pid,
                                "marker": "sparkgrove.cluster.runner", "ports": [],
                                "log": str(log)})
        except BaseException as exc:
            for proc in reversed(started):
                self.stop(spec, proc)
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.save_record(spec, ClusterState.TERMINATED_WITH_ERRORS, urls["master"], urls["web"],
                       started, f"start failed: {why}")
            raise
        self.save_record(spec, ClusterState.RUNNING, master_url, web_url, started, "")
        return self.get(spec.name)

    def _start_connect(self, spec: ClusterSpec, master_url: str, env: dict[str, str],
                       timeout: float, started: list[dict[str, Any]]) -> dict[str, Any]:
        """A Spark Connect server beside the master: a driver on the cluster, loopback only,
        clients authenticated with a token (taken from the environment, not a command line).
        It holds half of the cluster's cores so that steps can still run."""
        folder = self.folder(spec.name)
        token = secrets.token_urlsafe(32)
        self._write_private(folder / "connect-token", token + "\n")
        port = processes.free_port()
        cores = max(1, spec.workers * spec.cores // 2)
        memory = spec.spark_defaults.get("spark.executor.memory",
                                         f"{min(parse_memory_mb(spec.memory), 1024)}m")
        defaults = [arg for k, v in spec.spark_defaults.items() for arg in ("--conf", f"{k}={v}")]
        log = folder / "logs" / "connect.log"
        pid = processes.start_process(
            [str(daemons.spark_home() / "bin" / "spark-submit"), "--class", CONNECT_CLASS,
             "--name", f"spark-connect-{spec.name}", "--master", master_url,
             "--properties-file", str(folder / "client.conf"), *defaults,
             "--conf", f"spark.connect.grpc.binding.address={processes.LOOPBACK}",
             "--conf", f"spark.connect.grpc.binding.port={port}",
             "--conf", f"spark.driver.host={processes.LOOPBACK}",
             "--conf", f"spark.driver.bindAddress={processes.LOOPBACK}",
             "--conf", "spark.ui.enabled=false", "--conf", f"spark.cores.max={cores}",
             "--conf", f"spark.executor.memory={memory}", "spark-internal"],
            log, {**env, "SPARK_CONNECT_AUTHENTICATE_TOKEN": token})
        proc = {"role": "connect", "pid": pid, "marker": CONNECT_CLASS, "ports": [port],
                "log": str(log)}
        self._wait(lambda: processes.port_open(port), timeout, "the Spark Connect server",
                   [*started, proc])
        return proc

    def connect_url(self, name: str) -> str | None:
        """``sc://localhost:PORT/;token=...`` of the cluster's Spark Connect server, if any."""
        info = self.get(name)
        proc = next((p for p in info.processes if p["role"] == "connect"), None)
        if proc is None or not processes.process_alive(proc["pid"], proc["marker"]):
            return None
        token = (self.folder(name) / "connect-token").read_text().strip()
        # "localhost" lets the client send its token over a local (loopback-only) channel
        # without TLS; any other host name would make it insist on TLS.
        return f"sc://localhost:{proc['ports'][0]}/;token={token}"

    def _bootstrap(self, spec: ClusterSpec, env: dict[str, str]) -> None:
        log = self.folder(spec.name) / "logs" / "bootstrap.log"
        for command in spec.bootstrap:
            with log.open("ab") as out:
                done = subprocess.run(["bash", "-c", command], stdout=out,
                                      stderr=subprocess.STDOUT, env=env,
                                      cwd=self.folder(spec.name), timeout=600, check=False)
            if done.returncode != 0:
                raise EnvironmentProblem(
                    f"Bootstrap command {command!r} of cluster {spec.name} failed with exit code "
                    f"{done.returncode}; nothing was started. Its output: {log}\n"
                    f"{processes.log_tail(log, 5)}")

    @staticmethod
    def _wait(ready: Any, timeout: float, what: str, started: list[dict[str, Any]]) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            for proc in started:
                if not processes.process_alive(proc["pid"]):
                    raise EnvironmentProblem(
                        f"The {proc['role']} daemon exited while waiting for {what}; its log "
                        f"({proc['log']}) ends with:\n{processes.log_tail(Path(proc['log']))}")
            time.sleep(0.3)
        tails = "\n".join(f"--- {p['role']} ({p['log']}):\n{processes.log_tail(Path(p['log']), 8)}"
                          for p in started)
        raise EnvironmentProblem(f"Timed out after {timeout:.0f}s waiting for {what}.\n{tails}")

    def status(self, name: str) -> dict[str, Any]:
        """The record plus what the master itself reports (workers, cores, memory, apps)."""
        info = self.get(name)
        procs = [{**p, "alive": self.alive(info.spec, p)} for p in info.processes]
        out: dict[str, Any] = {**to_jsonable(info), "processes": procs}
        if info.state != ClusterState.RUNNING:
            return out
        master = next((p for p in procs if p["role"] == "master"), None)
        live = self.master_json(info) if master and master["alive"] else None
        if live is None:
            out["state"] = "MASTER_DOWN"
            out["message"] = (f"the master (pid {master['pid'] if master else '?'}) is not "
                              f"running; see {master['log'] if master else 'its log'} and run "
                              f"`sparkgrove cluster down {name}`")
            return out
        connect = next((p for p in procs if p["role"] == "connect"), None)
        if connect:
            out["connect"] = {"url": f"sc://{processes.LOOPBACK}:{connect['ports'][0]}",
                              "alive": connect["alive"]}
        out["master"] = {
            "status": live.get("status"), "alive_workers": live.get("aliveworkers"),
            "cores": live.get("cores"), "cores_used": live.get("coresused"),
            "memory_mb": live.get("memory"), "memory_used_mb": live.get("memoryused"),
            "workers": [{"id": w["id"], "host": w.get("host"), "state": w["state"],
                         "cores": w["cores"], "memory_mb": w["memory"]}
                        for w in live.get("workers", [])],
            "active_apps": [{"id": a["id"], "name": a["name"], "state": a["state"],
                             "cores": a.get("cores")} for a in live.get("activeapps", [])],
        }
        return out

    def down(self, name: str, *, reason: str = "stopped by the user") -> list[dict[str, Any]]:
        """Stop exactly the processes this cluster started; return what was stopped."""
        info = self.get(name)
        steps = StepStore(self.db)
        stopped = []
        running = steps.running(name)
        if running is not None and running.pid:
            processes.stop_process(running.pid)
        order = sorted(info.processes, key=lambda p: {"step-runner": 0, "connect": 1,
                                                      "worker": 2, "master": 3}.get(p["role"], 4))
        for proc in order:
            if proc["role"] == "step-runner" and proc["pid"] == os.getpid():
                continue
            was_running = self.stop(info.spec, proc)
            stopped.append({"role": proc["role"], "pid": proc["pid"], "was_running": was_running})
        # A process started just before a `cluster up` was killed may have missed the record;
        # every daemon names this cluster's folder on its command line, so it is found here.
        recorded = {p["pid"] for p in info.processes} | {os.getpid()}
        for pid in processes.processes_mentioning(str(self.folder(name))):
            if pid not in recorded:
                stopped.append({"role": "unrecorded", "pid": pid,
                                "was_running": processes.stop_process(pid)})
        steps.interrupt_all(name)
        self.records.set_state(name, ClusterState.TERMINATED, reason)
        return stopped

    def client_conf(self, name: str) -> tuple[str, dict[str, str], Path]:
        """Master URL, Spark configuration, and the properties file holding the secret, for a
        driver of this cluster."""
        info = self.get(name)
        if info.state != ClusterState.RUNNING or not self.is_up(info):
            raise EnvironmentProblem(f"Cluster {name!r} is not running (state {info.state}); "
                                     f"`sparkgrove cluster up --name {name}` first.")
        memory = min(info.spec.memory_bytes, 1 * 2**30) // 2**20
        # The cluster's spark-defaults reach every driver, as spark-defaults.conf does on EMR.
        driver = processes.LOOPBACK
        if info.spec.remote:  # executors on other hosts reach the driver at this address
            from sparkgrove.cluster.multihost import client_address

            assert info.spec.primary is not None
            driver = client_address(info.spec.primary)
        conf = {"spark.executor.memory": f"{memory}m", **info.spec.spark_defaults,
                "spark.authenticate": "true", "spark.driver.host": driver,
                "spark.driver.bindAddress": driver}
        if info.spec.remote:
            conf["spark.network.crypto.enabled"] = "true"
        path = self.folder(name) / "client.conf"
        if not path.exists():
            raise NotFoundError(f"Cluster {name!r} has no client configuration at {path}; "
                                "bring it up again.")
        return info.master_url, conf, path
