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
from tests.helpers import classification_rows, wait_for, write_csv

NAME = "three"


def completed(steps: StepStore, step_id: int, timeout: float) -> None:
    """Wait for a step to end; it must have COMPLETED."""
    done = wait_for(lambda: (s := steps.get(step_id)).state.final and s, timeout,
                    f"step {step_id} to end")
    assert done.state == "COMPLETED", Path(done.log_path).read_text()[-3000:]


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
        made.start(4)  # the fourth joins the cluster later
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
    master, core, task, _ = hosts.addresses
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
    master_host, core, task, _ = hosts.addresses
    assert status["master"]["alive_workers"] == 2
    assert sorted(w["host"] for w in status["master"]["workers"]) == sorted([core, task])
    assert manager.get(NAME).master_url.startswith(f"spark://{master_host}:")
    folder = manager.folder(NAME)
    secret = manager.secret(NAME)
    for proc in manager.get(NAME).processes:
        if not proc.get("host"):
            continue
        conf = folder / "hosts" / proc["host"] / f"{proc['role']}.conf"
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
    completed(steps, step.id, 300)
    model = Workspace(settings).registry.get("across")
    assert model.lineage["spark_master"] == manager.get(NAME).master_url
    for worker in hosts.addresses[1:3]:
        executors = list((manager.folder(NAME) / "work" / worker).glob("app-*/*/stderr"))
        assert executors, f"no executor ran on {worker}"


GLUE_STEP = """
import sys
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
args = getResolvedOptions(sys.argv, ["JOB_NAME"])
glue = GlueContext(SparkContext.getOrCreate())
job = Job(glue)
job.init(args["JOB_NAME"], args)
events = glue.create_dynamic_frame.from_catalog(database="mh", table_name="events")
glue.write_dynamic_frame.from_options(frame=events, connection_type="s3",
                                      connection_options={"path": "s3://lake/mh_copy/"},
                                      format="parquet")
job.commit()
"""


def test_an_etl_job_and_a_notebook_step_run_with_executors_on_the_workers(
        manager: ClusterManager, settings: Settings, tmp_path: Path) -> None:
    import nbformat
    from nbformat import v4

    from sparkgrove.etl.runner import list_runs

    script = tmp_path / "copy_job.py"
    script.write_text(GLUE_STEP)
    notebook = tmp_path / "hosts.ipynb"
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell(
        "print('COUNT', spark.range(5000).repartition(4).count())\n"
        "hosts = spark.sparkContext._jsc.sc().getExecutorMemoryStatus().keySet().toString()\n"
        "print('EXECUTOR HOSTS', hosts)")]), str(notebook))
    steps = StepStore(manager.db)
    queued = [add_step(steps, NAME, str(path), args, name=path.stem,
                       action_on_failure="CONTINUE", log_dir=manager.folder(NAME) / "steps")
              for path, args in ((script, ["--JOB_NAME", "across_hosts"]), (notebook, []))]
    for step in queued:
        completed(steps, step.id, 300)
    [run] = list_runs(Workspace(settings), "across_hosts")
    assert run.state == "SUCCEEDED" and run.rows_written == 1500
    runs = sorted((settings.workspace / "notebooks" / "runs").glob("*-hosts"))
    executed = nbformat.read(str(runs[-1] / "hosts.ipynb"), as_version=4)
    text = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "COUNT 5000" in text
    for worker in manager.get(NAME).spec.worker_hosts:
        assert worker["host"] in text, text  # an executor on each worker host


def test_a_worker_hosts_processes_killed_mid_step_still_give_the_same_model(
        manager: ClusterManager, settings: Settings, hosts: netns.Hosts) -> None:
    steps = StepStore(manager.db)
    step = add_step(steps, NAME, "train", ["mh.events", "--label", "label", "--engine", "spark",
                                           "--model", "across", "--json"],
                    name="train-again", action_on_failure="CONTINUE",
                    log_dir=manager.folder(NAME) / "steps")
    task = hosts.addresses[2]

    def task_host_busy() -> bool:
        status = manager.master_json(manager.get(NAME)) or {}
        return any(w.get("host") == task and w.get("coresused", 0) > 0
                   for w in status.get("workers", []))

    wait_for(task_host_busy, 180, "an executor on the task host")
    hosts.kill_namespace_processes(2)  # the worker and its executor, as a host going down
    completed(steps, step.id, 300)
    registry = Workspace(settings).registry
    first = registry.load_tree_model(registry.get("across:1")).to_dict()
    again = registry.load_tree_model(registry.get("across:2")).to_dict()
    assert again["trees"] == first["trees"]
    dead = [p for p in manager.status(NAME)["processes"] if p.get("host") == task]
    assert dead and not dead[0]["alive"]  # `cluster status` names the host of a dead worker


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


def test_workers_are_added_and_removed_after_draining(manager: ClusterManager,
                                                    hosts: netns.Hosts) -> None:
    from sparkgrove.cluster.resize import add_workers, remove_workers

    _, core, task, spare = hosts.addresses  # the task host's worker died in a test above
    info = add_workers(manager, NAME, [spare], cores=1, memory="1g")
    assert [w["host"] for w in info.spec.worker_hosts] == [core, task, spare]
    with pytest.raises(ConfigError, match="already belong"):
        add_workers(manager, NAME, [core], cores=1, memory="1g")
    removed = remove_workers(manager, NAME, [task], drain_timeout=5)
    assert [r["host"] for r in removed] == [task]
    assert manager.status(NAME)["master"]["alive_workers"] == 2
    removed = remove_workers(manager, NAME, [spare], drain_timeout=60)
    assert removed[0]["drained"]
    assert not processes.process_alive(removed[0]["pid"])
    assert [w["host"] for w in manager.get(NAME).spec.worker_hosts] == [core]
    status = manager.status(NAME)["master"]
    assert [w["host"] for w in status["workers"] if w["state"] == "ALIVE"] == [core]
    with pytest.raises(ConfigError, match="without one"):
        remove_workers(manager, NAME, [core])


def test_a_killed_master_is_reported_and_down_cleans_every_host(
        manager: ClusterManager) -> None:
    import os
    import signal

    info = manager.get(NAME)
    master = next(p for p in info.processes if p["role"] == "master")
    os.killpg(master["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 20
    while processes.process_alive(master["pid"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    status = manager.status(NAME)
    assert status["state"] == "MASTER_DOWN" and "not running" in status["message"]
    stopped = manager.down(NAME)
    assert {p["role"] for p in stopped} >= {"master", "worker", "step-runner"}
    assert manager.get(NAME).state == "TERMINATED"
    for proc in info.processes:
        assert not processes.process_alive(proc["pid"], proc["marker"]), proc


def test_a_cluster_started_with_sparks_own_scripts_is_used_with_master_and_spark_conf(
        manager: ClusterManager, settings: Settings, hosts: netns.Hosts, tmp_path: Path) -> None:
    """After `down`, the same hosts run a standalone cluster sparkgrove did not start, started
    with Spark's own daemon script; sparkgrove reaches it with --master and --spark-conf."""
    import os
    import secrets

    from sparkgrove.cluster import daemons

    if manager.get(NAME).state == "RUNNING":
        manager.down(NAME)
    master_host, worker_host = hosts.addresses[0], hosts.addresses[1]
    secret = secrets.token_urlsafe(24)
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    defaults = conf_dir / "spark-defaults.conf"
    defaults.write_text(f"spark.authenticate true\nspark.authenticate.secret {secret}\n"
                        "spark.network.crypto.enabled true\nspark.master.rest.enabled false\n")
    os.chmod(defaults, 0o600)
    home = daemons.spark_home()
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_CONF_DIR": str(conf_dir),
           "SPARK_LOG_DIR": str(tmp_path / "logs"), "SPARK_PID_DIR": str(tmp_path / "pids"),
           "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable,
           "SPARK_WORKER_DIR": str(tmp_path / "work")}
    master_ns, worker_ns = hosts.names[0], hosts.names[1]

    def in_namespace(ns: str, *argv: str, **extra: str) -> None:
        subprocess.run(["ip", "netns", "exec", ns, *argv], env={**env, **extra}, check=True,
                       capture_output=True, timeout=60)

    # spark-daemon.sh is what Spark's start-master.sh and start-worker.sh run (the pip
    # package ships it without them)
    daemon = str(home / "sbin" / "spark-daemon.sh")
    in_namespace(master_ns, daemon, "start", daemons.MASTER_CLASS, "1", "--host", master_host,
                 "--port", "7077", "--webui-port", "8080")
    url = f"spark://{master_host}:7077"
    try:
        in_namespace(worker_ns, daemon, "start", daemons.WORKER_CLASS, "1", url, "--host",
                     worker_host, "--cores", "1", "--memory", "1g", "--webui-port", "8081")
        user_conf = tmp_path / "mine.conf"  # what the cluster's owner hands its users
        user_conf.write_text(f"spark.authenticate.secret {secret}\nspark.authenticate true\n"
                             "spark.network.crypto.enabled true\n"
                             f"spark.driver.host {netns.CLIENT}\n"
                             f"spark.driver.bindAddress {netns.CLIENT}\n")
        os.chmod(user_conf, 0o600)
        exe = Path(sys.executable).parent / "sparkgrove"
        done = subprocess.run([str(exe), "--workspace", str(settings.workspace), "--master", url,
                               "--spark-conf", str(user_conf), "train", "mh.events", "--label",
                               "label", "--engine", "spark", "--model", "theirs", "--json"],
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        model = Workspace(settings).registry.get("theirs")
        assert model.lineage["spark_master"] == url
        assert secret not in done.stdout + done.stderr
    finally:
        in_namespace(worker_ns, daemon, "stop", daemons.WORKER_CLASS, "1")
        in_namespace(master_ns, daemon, "stop", daemons.MASTER_CLASS, "1")


def _get(url: str, cafile: Path | None = None, token: str | None = None
         ) -> tuple[int, str, bytes]:
    """Status, Location and body of one GET, redirects not followed."""
    import ssl
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    handlers: list[urllib.request.BaseHandler] = [NoRedirect()]
    if cafile is not None:
        handlers.append(urllib.request.HTTPSHandler(
            context=ssl.create_default_context(cafile=str(cafile))))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.build_opener(*handlers).open(
                urllib.request.Request(url, headers=headers), timeout=10) as resp:
            return resp.status, resp.headers.get("Location", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", ""), exc.read()


def test_web_uis_opted_in_with_tls_need_a_token_and_a_fixed_master_port_is_checked(
        settings: Settings, hosts: netns.Hosts, tmp_path: Path) -> None:
    """A spec with [web_ui] tls puts the UIs on the hosts' addresses: every port there is TLS
    with a signed token, or a plain redirect to it; the master's fixed port is used, and a
    second spec wanting the same port is refused before anything starts."""
    from sparkgrove.cluster.web_ui import bearer_token, ca_file

    manager = ClusterManager(settings, open_database(settings.catalog_url))
    master_host, worker_host = hosts.addresses[0], hosts.addresses[1]
    spec = tmp_path / "tls.toml"
    spec.write_text(spec_text(hosts, master_host, [worker_host], [], name="tls").replace(
        f'host = "{master_host}"\n', f'host = "{master_host}"\nport = 7177\n')
        + "\n[web_ui]\ntls = true\n")
    info = manager.up(load_spec(spec))
    try:
        assert info.master_url == f"spark://{master_host}:7177"
        assert info.web_url.startswith(f"https://{master_host}:")
        status = manager.status("tls")  # read over HTTPS with a token, not through SSH
        assert status["master"]["alive_workers"] == 1
        secret = manager.secret("tls")
        ca = ca_file(manager.folder("tls"))
        token = bearer_token(secret)
        checked = 0
        for proc in [p for p in info.processes if p.get("host")]:
            conf = (manager.folder("tls") / "hosts" / proc["host"] / f"{proc['role']}.conf")
            assert stat.S_IMODE(conf.stat().st_mode) == 0o600
            for address in netns.listening(hosts, proc["host"], proc["pid"]):
                host, port = address.rsplit(":", 1)
                host = host.strip("[]").removeprefix("::ffff:")
                assert host in (proc["host"], "127.0.0.1", "::1"), (proc["role"], address)
                ui_ports = proc["ports"][1:] if proc["role"] == "master" else proc["ports"]
                if host != proc["host"] or int(port) not in ui_ports:
                    continue  # loopback, or an RPC port (authenticated, encrypted: see above)
                if int(port) == proc["ports"][-1]:  # the HTTPS port
                    url = f"https://{host}:{port}/json/"
                    assert _get(url, ca)[0] == 403  # no token
                    assert _get(url, ca, bearer_token("not the secret"))[0] == 403
                    assert _get(url, ca, bearer_token(secret, now=time.time() - 3600))[0] == 403
                    assert _get(f"https://{host}:{port}/static/spark-logo-77x50px-hd.png",
                                ca)[0] == 403
                    code, _, body = _get(url, ca, token)
                    assert code == 200 and body.startswith(b"{"), (proc["role"], code)
                else:  # the plain port serves nothing but a redirect to HTTPS
                    code, location, body = _get(f"http://{host}:{port}/json/")
                    assert 300 <= code < 400 and location.startswith(f"https://{host}:"), code
                    assert b"spark" not in body.lower()
                checked += 1
        assert checked == 4  # master and worker: an HTTPS port and a redirect each
        cli = subprocess.run([str(Path(sys.executable).parent / "sparkgrove"), "--workspace",
                              str(settings.workspace), "cluster", "ui-token", "tls"],
                             capture_output=True, text=True, timeout=60, check=False)
        assert cli.returncode == 0, cli.stderr
        assert _get(info.web_url + "/json/", ca, cli.stdout.strip())[0] == 200

        clash = tmp_path / "clash.toml"
        clash.write_text(spec_text(hosts, master_host, [hosts.addresses[2]], [], name="clash")
                         .replace(f'host = "{master_host}"\n',
                                  f'host = "{master_host}"\nport = 7177\n'))
        with pytest.raises(EnvironmentProblem) as caught:
            manager.up(load_spec(clash))
        assert f"{master_host}: port 7177, fixed by the spec's [primary], is in use" in str(
            caught.value)
        assert processes.processes_mentioning(str(manager.folder("clash"))) == []
    finally:
        manager.down("tls")
    for proc in info.processes:
        assert not processes.process_alive(proc["pid"], proc["marker"]), proc
