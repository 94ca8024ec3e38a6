"""A cluster across hosts: three hosts made of network namespaces (198.18.0.0/15), each with a
real sshd; the master on one, a core and a task worker on the others; security on off loopback.

One cluster serves the module; tests run in order.
"""

from __future__ import annotations

import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sparkgrove import processes
from sparkgrove.cluster.manager import ClusterManager
from sparkgrove.cluster.spec import load_spec
from sparkgrove.cluster.steps import add_step
from sparkgrove.errors import ConfigError, EnvironmentProblem
from sparkgrove.settings import Settings, load_settings
from sparkgrove.store.db import open_database
from sparkgrove.store.step_store import StepStore
from sparkgrove.workspace import Workspace
from tests.cluster import netns
from tests.helpers import classification_rows, write_csv

NAME = "three"


def spec_text(hosts: netns.Hosts, primary: str, core: list[str], task: list[str],
              name: str = NAME) -> str:
    quoted = ", ".join(f'"{h}"' for h in core)
    text = (f'name = "{name}"\n\n[primary]\nhost = "{primary}"\n\n[[core]]\nhosts = [{quoted}]\n'
            'cores = 1\nmemory = "1g"\n')
    if task:
        text += '\n[[task]]\nhosts = [' + ", ".join(f'"{h}"' for h in task) + ']\ncores = 1\n' \
                'memory = "1g"\n'
    return text + f'\n[ssh]\nuser = "root"\nkey = "{hosts.key}"\n'


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[netns.Hosts]:
    why = netns.available()
    assert why is None, f"the multi-host tests need namespaces and sshd: {why}"
    made = netns.Hosts(tmp_path_factory.mktemp("hosts"))
    try:
        made.start(3)
        yield made
    finally:
        made.stop()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    base = tmp_path_factory.mktemp("multihost")
    settings = load_settings(workspace=base / "ws", environ={}, cwd=base)
    settings.ensure_dirs()
    write_csv(base / "raw" / "a.csv", ["x1", "x2", "color", "label"],
              classification_rows(1500, seed=5))
    Workspace(settings).catalog.crawl(base / "raw", "mh", table="events")
    return settings


@pytest.fixture(scope="module")
def manager(settings: Settings, hosts: netns.Hosts, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[ClusterManager]:
    manager = ClusterManager(settings, open_database(settings.catalog_url))
    spec = tmp_path_factory.mktemp("spec") / "three.toml"
    master, core, task = hosts.addresses
    spec.write_text(spec_text(hosts, master, [core], [task]))
    manager.up(load_spec(spec))
    yield manager
    if manager.get(NAME).state == "RUNNING":
        manager.down(NAME)


def test_a_host_that_cannot_be_reached_stops_up_before_anything_starts(
        settings: Settings, hosts: netns.Hosts, tmp_path: Path) -> None:
    manager = ClusterManager(settings, open_database(settings.catalog_url))
    spec = tmp_path / "bad.toml"
    spec.write_text(spec_text(hosts, hosts.addresses[0], [hosts.addresses[1], "198.18.0.99"],
                              [], name="unreachable"))
    with pytest.raises(EnvironmentProblem) as caught:
        manager.up(load_spec(spec))
    text = str(caught.value)
    assert "198.18.0.99: not reachable over SSH" in text and "nothing was started" in text
    assert processes.processes_mentioning(str(manager.folder("unreachable"))) == []


def test_a_spec_that_turns_security_off_is_refused(hosts: netns.Hosts, tmp_path: Path) -> None:
    spec = tmp_path / "open.toml"
    spec.write_text(spec_text(hosts, hosts.addresses[0], [hosts.addresses[1]], []) +
                    '\n[[configurations]]\nclassification = "spark-defaults"\n'
                    'properties = { "spark.network.crypto.enabled" = "false" }\n')
    with pytest.raises(ConfigError, match=r"spark.network.crypto.enabled must stay true"):
        load_spec(spec)


def test_up_starts_the_master_and_workers_on_their_hosts_securely(
        manager: ClusterManager, hosts: netns.Hosts) -> None:
    status = manager.status(NAME)
    assert status["state"] == "RUNNING", status
    master_host, core, task = hosts.addresses
    assert status["master"]["alive_workers"] == 2
    assert sorted(w["host"] for w in status["master"]["workers"]) == sorted([core, task])
    assert manager.get(NAME).master_url.startswith(f"spark://{master_host}:")
    folder = manager.folder(NAME)
    secret = manager.secret(NAME)
    for proc in manager.get(NAME).processes:
        if not proc.get("host"):
            continue
        conf = folder / "hosts" / proc["host"] / "daemon.conf"
        assert stat.S_IMODE(conf.stat().st_mode) == 0o600
        assert "spark.network.crypto.enabled true" in conf.read_text()
        cmdline = Path(f"/proc/{proc['pid']}/cmdline").read_bytes().decode(errors="replace")
        assert secret not in cmdline
        listening = netns.listening(hosts, proc["host"], proc["pid"])
        assert listening, proc
        # the RPC port on the host's own address; the web UI on loopback; nothing on 0.0.0.0
        for address in listening:
            host = address.rsplit(":", 1)[0].strip("[]").removeprefix("::ffff:")
            assert host in (proc["host"], "127.0.0.1", "::1"), (proc["role"], address)


def test_a_training_step_runs_with_executors_on_the_worker_hosts(
        manager: ClusterManager, settings: Settings, hosts: netns.Hosts) -> None:
    steps = StepStore(manager.db)
    step = add_step(steps, NAME, "train", ["mh.events", "--label", "label", "--engine", "spark",
                                           "--model", "across", "--json"],
                    name="train", action_on_failure="CONTINUE",
                    log_dir=manager.folder(NAME) / "steps")
    deadline = time.monotonic() + 300
    while not (done := steps.get(step.id)).state.final and time.monotonic() < deadline:
        time.sleep(1)
    assert done.state == "COMPLETED", Path(done.log_path).read_text()[-3000:]
    model = Workspace(settings).registry.get("across")
    assert model.lineage["spark_master"] == manager.get(NAME).master_url
    for worker in hosts.addresses[1:]:
        executors = list((manager.folder(NAME) / "work" / worker).glob("app-*/*/stderr"))
        assert executors, f"no executor ran on {worker}"


def test_a_driver_without_the_secret_is_refused(manager: ClusterManager,
                                                tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.conf"
    wrong.write_text("spark.authenticate true\nspark.authenticate.secret not-the-secret\n"
                     "spark.network.crypto.enabled true\n")
    code = (
        "import os, sys\n"
        f"os.environ['PYSPARK_SUBMIT_ARGS'] = '--properties-file {wrong} pyspark-shell'\n"
        "from pyspark.sql import SparkSession\n"
        "from sparkgrove.spark import connect_bounded\n"
        "from sparkgrove.errors import EnvironmentProblem\n"
        f"b = SparkSession.builder.master('{manager.get(NAME).master_url}')\n"
        f"b = b.config('spark.ui.enabled', 'false').config('spark.driver.host', "
        f"'{netns.CLIENT}').config('spark.driver.bindAddress', '{netns.CLIENT}')\n"
        "try:\n"
        "    connect_bounded(b, 'the test master', 20)\n"
        "except EnvironmentProblem as exc:\n"
        "    print('REFUSED', exc, flush=True)\n"
        "    os._exit(3)\n"
        "os._exit(0)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 3, done.stdout + done.stderr[-2000:]


def test_down_stops_every_daemon_on_every_host(manager: ClusterManager) -> None:
    info = manager.get(NAME)
    recorded: list[dict[str, Any]] = info.processes
    manager.down(NAME)
    assert manager.get(NAME).state == "TERMINATED"
    for proc in recorded:
        assert not processes.process_alive(proc["pid"], proc["marker"]), proc
