"""Resizing a cluster of several hosts, as EMR resizes instance groups: workers added on new
hosts (checked first, as at ``up``) and removed after draining (Spark's decommissioning: running
tasks finish, no new ones start, then the daemon stops)."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from sparkgrove.cluster.manager import DEFAULT_START_TIMEOUT, ClusterInfo, ClusterManager
from sparkgrove.cluster.multihost import drain_worker, preflight, ssh_host, start_workers
from sparkgrove.cluster.spec import build_spec
from sparkgrove.errors import ConfigError, EnvironmentProblem
from sparkgrove.store.states import ClusterState


def add_workers(manager: ClusterManager, name: str, hosts: list[str], *, cores: int, memory: str,
                group: str = "task", timeout: float = DEFAULT_START_TIMEOUT) -> ClusterInfo:
    """Start workers on ``hosts`` (checked first) and wait until they have registered."""
    info = _running_remote(manager, name)
    spec = info.spec
    taken = {w["host"] for w in spec.worker_hosts} | {spec.primary}
    clash = sorted(set(hosts) & taken)
    if clash:
        raise ConfigError(f"Host(s) {', '.join(clash)} already belong to cluster {name}.")
    probe = {"name": name, "primary": {"host": spec.primary}, "ssh": {
        k: v for k, v in spec.ssh.items() if v is not None},
        group: [{"hosts": hosts, "cores": cores, "memory": memory}]}
    if group != "core":
        probe["core"] = [{"hosts": [spec.worker_hosts[0]["host"]], "cores": 1,
                          "memory": "256m"}]
    new = [w for w in build_spec(probe, source="the new workers").worker_hosts
           if w["host"] in hosts]  # validated as a spec's groups are
    preflight(manager, spec, hosts)
    started = start_workers(manager, spec, manager.secret(name), info.master_url, new)
    grown = dataclasses.replace(spec, worker_hosts=spec.worker_hosts + tuple(new),
                                workers=spec.workers + len(new))
    manager.save_record(grown, ClusterState.RUNNING, info.master_url, info.web_url,
               [*info.processes, *started], "")
    def registered() -> bool:  # each new host has an ALIVE worker (others may have died)
        status = manager.master_json(manager.get(name)) or {}
        alive = {w.get("host") for w in status.get("workers", []) if w.get("state") == "ALIVE"}
        return set(hosts) <= alive

    deadline = time.monotonic() + timeout
    while not registered():
        if time.monotonic() > deadline:
            raise EnvironmentProblem(f"The new worker(s) on {', '.join(hosts)} did not "
                                     f"register within {timeout:.0f}s; see their logs in "
                                     f"{manager.folder(name) / 'logs'}.")
        time.sleep(0.5)
    return manager.get(name)

def remove_workers(manager: ClusterManager, name: str, hosts: list[str], *, drain_timeout: float = 300
                   ) -> list[dict[str, Any]]:
    """Drain the workers on ``hosts`` (their running tasks finish; no new ones start),
    then stop them; return what was removed and whether it drained in time."""
    info = _running_remote(manager, name)
    spec = info.spec
    known = {w["host"] for w in spec.worker_hosts}
    unknown = sorted(set(hosts) - known)
    if unknown:
        raise ConfigError(f"Host(s) {', '.join(unknown)} are not workers of cluster {name}; "
                          f"its workers: {', '.join(sorted(known))}.")
    if known <= set(hosts):
        raise ConfigError(f"Removing every worker would leave cluster {name} without one; "
                          f"`sparkgrove cluster down {name}` stops it.")
    removed = []
    for proc in [p for p in info.processes if p["role"] == "worker" and p["host"] in hosts]:
        host = ssh_host(manager, spec, proc["host"])
        drained = drain_worker(host, proc["pid"], lambda: manager.master_json(info),
                               drain_timeout)
        manager.stop(spec, proc)
        removed.append({"host": proc["host"], "pid": proc["pid"], "drained": drained})
    shrunk = dataclasses.replace(
        spec, worker_hosts=tuple(w for w in spec.worker_hosts if w["host"] not in hosts),
        workers=spec.workers - len(removed))
    manager.save_record(shrunk, ClusterState.RUNNING, info.master_url, info.web_url,
               [p for p in info.processes if p.get("host") not in hosts or
                p["role"] != "worker"], "")
    return removed

def _running_remote(manager: ClusterManager, name: str) -> ClusterInfo:
    info = manager.get(name)
    if not info.spec.remote:
        raise ConfigError(f"Cluster {name} runs on this machine alone; workers are added "
                          "to clusters whose spec names hosts ([primary], [[core]]).")
    if info.state != ClusterState.RUNNING or not manager.is_up(info):
        raise EnvironmentProblem(f"Cluster {name!r} is not running (state {info.state}).")
    return info

