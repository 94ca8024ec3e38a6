"""Real Spark standalone daemons: up, status, steps, faults, security, down.

One small cluster (2 workers x 1 core) serves the module; tests run in order.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sparkgrove import processes
from sparkgrove.cluster import daemons
from sparkgrove.cluster.manager import ClusterManager
from sparkgrove.cluster.spec import build_spec, load_spec
from sparkgrove.cluster.steps import add_step
from sparkgrove.errors import AlreadyExistsError, NotFoundError
from sparkgrove.settings import Settings, load_settings
from sparkgrove.store.db import open_database
from sparkgrove.store.step_store import StepStore
from sparkgrove.workspace import Workspace
from tests.helpers import classification_rows, wait_for, write_csv

SPEC = {"name": "tc", "workers": 2, "cores": 1, "memory": "1g"}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    base = tmp_path_factory.mktemp("cluster")
    settings = load_settings(workspace=base / "ws", environ={}, cwd=base)
    settings.ensure_dirs()
    rows = classification_rows(2000, seed=9)
    write_csv(base / "raw" / "a.csv", ["x1", "x2", "color", "label"], rows)
    Workspace(settings).catalog.crawl(base / "raw", "cl", table="events")
    return settings


# EMR's configurations as AWS's release guide writes them (JSON, nested spark-env export).
EMR_CONFIGURATIONS = [
    {"Classification": "spark-defaults",
     "Properties": {"spark.task.maxFailures": "5", "spark.sparkgrove.marker": "from-emr-json"}},
    {"Classification": "spark-env", "Properties": {},
     "Configurations": [{"Classification": "export",
                         "Properties": {"SPARKGROVE_TEST_MARK": "exported"}}]},
]


@pytest.fixture(scope="module")
def manager(settings: Settings, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[ClusterManager]:
    manager = ClusterManager(settings, open_database(settings.catalog_url))
    emr = tmp_path_factory.mktemp("emr") / "configurations.json"
    emr.write_text(json.dumps(EMR_CONFIGURATIONS, indent=2))
    manager.up(load_spec(emr, **SPEC))
    yield manager
    if manager.get("tc").state == "RUNNING":
        manager.down("tc")


def _steps(manager: ClusterManager) -> StepStore:
    return StepStore(manager.db)


def _wait_step(manager: ClusterManager, step_id: int, timeout: float = 180) -> Any:
    return wait_for(lambda: (s := _steps(manager).get(step_id)).state in
                    ("COMPLETED", "FAILED", "CANCELLED", "INTERRUPTED") and s, timeout,
                    f"step {step_id} to end")


def test_up_registers_workers_and_is_secure(manager: ClusterManager) -> None:
    status = manager.status("tc")
    assert status["state"] == "RUNNING"
    assert status["master"]["alive_workers"] == 2 and status["master"]["cores"] == 2
    folder = manager.folder("tc")
    for private in ("secret", "daemon.conf", "client.conf"):
        assert stat.S_IMODE((folder / private).stat().st_mode) == 0o600
    listening = []
    for proc in manager.get("tc").processes:
        cmdline = Path(f"/proc/{proc['pid']}/cmdline").read_bytes().decode(errors="replace")
        assert manager.secret("tc") not in cmdline
        listening += processes.listening_addresses(proc["pid"])
    assert listening, "the daemons listen somewhere"
    assert all(processes.is_loopback(a) for a in listening), listening
    assert not processes.port_open(6066)  # the REST submission server is off


def test_a_second_up_is_refused(manager: ClusterManager) -> None:
    with pytest.raises(AlreadyExistsError, match="already running"):
        manager.up(build_spec(SPEC))


def test_a_training_step_runs_on_the_cluster(manager: ClusterManager, settings: Settings) -> None:
    step = add_step(_steps(manager), "tc", "train", ["cl.events", "--label", "label", "--engine",
                                               "spark", "--model", "on_cluster", "--json"],
                               name="train", action_on_failure="CONTINUE",
                               log_dir=manager.folder("tc") / "steps")
    done = _wait_step(manager, step.id)
    assert done.state == "COMPLETED", Path(done.log_path).read_text()[-3000:]
    model = Workspace(settings).registry.get("on_cluster")
    assert model.lineage["spark_master"] == manager.get("tc").master_url


def test_a_notebook_step_runs_its_spark_work_on_the_workers(manager: ClusterManager,
                                                           tmp_path: Path) -> None:
    import nbformat
    from nbformat import v4

    path = tmp_path / "report.ipynb"
    nbformat.write(v4.new_notebook(cells=[
        v4.new_code_cell("rows = 1000", metadata={"tags": ["parameters"]}),
        v4.new_code_cell("import os\n"
                         "print('MASTER', spark.sparkContext.master)\n"
                         "print('DEFAULTS', spark.conf.get('spark.sparkgrove.marker'), "
                         "spark.conf.get('spark.task.maxFailures'), "
                         "os.environ.get('SPARKGROVE_TEST_MARK'))\n"
                         "print('COUNT', spark.range(rows).repartition(4).count())\n"
                         "print('EXECUTORS', spark.sparkContext._jsc.sc()"
                         ".getExecutorMemoryStatus().size() - 1)")]), str(path))
    step = add_step(_steps(manager), "tc", str(path), ["-p", "rows=5000"], name="report",
                               action_on_failure="CONTINUE",
                               log_dir=manager.folder("tc") / "steps")
    done = _wait_step(manager, step.id)
    assert done.state == "COMPLETED", Path(done.log_path).read_text()[-3000:]
    runs = sorted((manager.settings.workspace / "notebooks" / "runs").glob("*-report"))
    executed = nbformat.read(str(runs[-1] / "report.ipynb"), as_version=4)
    text = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert f"MASTER {manager.get('tc').master_url}" in text
    assert "COUNT 5000" in text
    assert "DEFAULTS from-emr-json 5 exported" in text, "spark-defaults reach notebook drivers"
    assert "EXECUTORS 2" in text


GLUE_STEP = """
import sys
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import ApplyMapping
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
args = getResolvedOptions(sys.argv, ["JOB_NAME"])
glue = GlueContext(SparkContext.getOrCreate())
job = Job(glue)
job.init(args["JOB_NAME"], args)
print("MASTER", glue.sparkContext.master)
print("DEFAULTS", glue.spark_session.conf.get("spark.sparkgrove.marker"))
events = glue.create_dynamic_frame.from_catalog(database="cl", table_name="events")
events = ApplyMapping.apply(frame=events, mappings=[("x1", "double", "x1", "double"),
                                                    ("label", "string", "label", "string")])
sink = glue.getSink(path="s3://lake/events_x1/", connection_type="s3",
                    updateBehavior="UPDATE_IN_DATABASE", partitionKeys=[],
                    enableUpdateCatalog=True, transformation_ctx="sink")
sink.setCatalogInfo(catalogDatabase="lake", catalogTableName="events_x1")
sink.setFormat("glueparquet", compression="snappy")
sink.writeFrame(events)
job.commit()
"""


def test_a_glue_script_runs_as_a_step_on_the_cluster(manager: ClusterManager,
                                                     settings: Settings, tmp_path: Path) -> None:
    from sparkgrove.etl.runner import list_runs

    script = tmp_path / "glue_job.py"
    script.write_text(GLUE_STEP)
    step = add_step(_steps(manager), "tc", str(script), ["--JOB_NAME", "on_cluster"], name="glue",
                               action_on_failure="CONTINUE",
                               log_dir=manager.folder("tc") / "steps")
    done = _wait_step(manager, step.id)
    assert done.state == "COMPLETED", Path(done.log_path).read_text()[-3000:]
    assert f"MASTER {manager.get('tc').master_url}" in Path(done.log_path).read_text()
    assert "DEFAULTS from-emr-json" in Path(done.log_path).read_text()
    [run] = list_runs(Workspace(settings), "on_cluster")
    assert run.state == "SUCCEEDED" and run.rows_written == 2000
    assert Workspace(settings).catalog.table("lake.events_x1").format == "parquet"


STEP_SCRIPT = """
import sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
print("MARKER", spark.conf.get("spark.sparkgrove.marker"),
      spark.sparkContext.getConf().get("spark.executor.memory"),
      spark.conf.get("spark.task.maxFailures"), "ARGS", sys.argv[1:])
"""


def test_emr_steps_json_runs_with_its_spark_submit_options(manager: ClusterManager,
                                                           settings: Settings,
                                                           tmp_path: Path) -> None:
    script = settings.workspace / "s3" / "lake-jobs" / "conf_check.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(STEP_SCRIPT)
    steps_json = tmp_path / "steps.json"
    steps_json.write_text(json.dumps([{
        "Type": "Spark", "Name": "conf check", "ActionOnFailure": "CONTINUE",
        "Args": ["--deploy-mode", "cluster", "--executor-memory", "600m",
                 "--conf", "spark.sparkgrove.marker=from-step",
                 "s3://lake-jobs/conf_check.py", "s3://lake-jobs/input", "10"]}]))
    cli = [sys.executable, "-m", "sparkgrove", "--workspace", str(settings.workspace),
           "step", "add", "tc"]
    done = subprocess.run([*cli, "--emr-steps", str(steps_json), "--wait", "--json"],
                          capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    [step] = json.loads(done.stdout)
    assert step["state"] == "COMPLETED", Path(step["log_path"]).read_text()[-3000:]
    log = Path(step["log_path"]).read_text()
    # The step's options win over the cluster's spark-defaults; the others still apply.
    assert "MARKER from-step 600m 5 ARGS ['s3://lake-jobs/input', '10']" in log
    too_big = subprocess.run([*cli, str(script), "--spark-arg", "--executor-memory=3g"],
                             capture_output=True, text=True, timeout=60, check=False)
    assert too_big.returncode == 2 and "more than a worker" in too_big.stderr


def test_losing_a_worker_mid_step_still_gives_the_same_model(
        manager: ClusterManager, settings: Settings) -> None:
    steps = _steps(manager)
    step = add_step(steps, "tc", "train", ["cl.events", "--label", "label", "--engine", "spark",
                                     "--model", "on_cluster", "--json"],
                     name="train-again", action_on_failure="CONTINUE",
                     log_dir=manager.folder("tc") / "steps")
    info = manager.get("tc")
    victim = [p for p in info.processes if p["role"] == "worker"][1]

    def victim_busy() -> bool:
        status = daemons.master_json(info.web_url) or {}
        return any(w["coresused"] > 0 and w["webuiaddress"].endswith(f":{victim['ports'][0]}")
                   for w in status.get("workers", []))

    wait_for(victim_busy, 120, "an executor on the second worker")
    os.killpg(victim["pid"], signal.SIGKILL)
    assert steps.get(step.id).state == "RUNNING"
    done = _wait_step(manager, step.id)
    assert done.state == "COMPLETED", Path(done.log_path).read_text()[-3000:]
    registry = Workspace(settings).registry
    first = registry.load_tree_model(registry.get("on_cluster:1")).to_dict()
    again = registry.load_tree_model(registry.get("on_cluster:2")).to_dict()
    assert again["trees"] == first["trees"]
    assert manager.status("tc")["master"]["alive_workers"] == 1


def test_killing_a_steps_driver_fails_it_and_applies_the_action(
        manager: ClusterManager, tmp_path: Path) -> None:
    script = tmp_path / "slow.py"
    script.write_text("import time\nfrom pyspark.sql import SparkSession\n"
                      "SparkSession.builder.getOrCreate().range(10).count()\ntime.sleep(120)\n")
    steps = _steps(manager)
    slow = add_step(steps, "tc", str(script), [], name="slow", action_on_failure="CANCEL_AND_WAIT",
                     log_dir=manager.folder("tc") / "steps")
    after = add_step(steps, "tc", str(script), [], name="after", action_on_failure="CONTINUE",
                      log_dir=manager.folder("tc") / "steps")
    running = wait_for(lambda: (s := steps.get(slow.id)).state == "RUNNING" and s.pid and s,
                       60, "the slow step to run")
    wait_for(lambda: (manager.status("tc")["master"]["active_apps"] or None), 60,
             "its application")
    os.killpg(running.pid, signal.SIGKILL)
    assert _wait_step(manager, slow.id).state == "FAILED"
    assert wait_for(lambda: steps.get(after.id).state == "CANCELLED", 10, "the next step")


def test_a_driver_without_the_secret_is_refused_in_bounded_time(
        manager: ClusterManager, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.conf"
    wrong.write_text("spark.authenticate true\nspark.authenticate.secret not-the-secret\n")
    code = (
        "import os, sys, time\n"
        f"os.environ['PYSPARK_SUBMIT_ARGS'] = '--properties-file {wrong} pyspark-shell'\n"
        "from pyspark.sql import SparkSession\n"
        "from sparkgrove.spark import connect_bounded\n"
        "from sparkgrove.errors import EnvironmentProblem\n"
        f"b = SparkSession.builder.master('{manager.get('tc').master_url}')\n"
        "b = b.config('spark.ui.enabled', 'false').config('spark.driver.host', '127.0.0.1')\n"
        "start = time.monotonic()\n"
        "try:\n"
        "    connect_bounded(b, 'the test master', 20)\n"
        "except EnvironmentProblem as exc:\n"
        "    print('REFUSED', round(time.monotonic() - start), exc, flush=True)\n"
        "    os._exit(3)\n"
        "os._exit(0)\n")
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 3, done.stdout + done.stderr[-2000:]
    assert "secret is missing or wrong" in done.stdout
    assert time.monotonic() - start < 60


def test_a_dead_master_is_reported_and_down_cleans_up(manager: ClusterManager) -> None:
    info = manager.get("tc")
    master = next(p for p in info.processes if p["role"] == "master")
    os.killpg(master["pid"], signal.SIGKILL)
    wait_for(lambda: not processes.process_alive(master["pid"]), 20, "the master to die")
    status = manager.status("tc")
    assert status["state"] == "MASTER_DOWN" and "not running" in status["message"]
    stopped = manager.down("tc")
    assert {p["role"] for p in stopped} == {"master", "worker", "step-runner"}
    assert [p["was_running"] for p in stopped if p["role"] == "worker"].count(True) == 1
    for proc in info.processes:
        assert not processes.process_alive(proc["pid"], proc["marker"])
        for port in proc["ports"]:
            assert not processes.port_open(port)
    assert manager.get("tc").state == "TERMINATED"


def test_idle_cluster_terminates_itself(settings: Settings) -> None:
    manager = ClusterManager(settings, open_database(settings.catalog_url))
    info = manager.up(build_spec({"name": "idle", "workers": 1, "cores": 1, "memory": "512m",
                                  "idle_timeout": 3}))
    wait_for(lambda: manager.get("idle").state == "TERMINATED", 60, "auto-termination")
    assert "idle" in manager.get("idle").message
    for proc in info.processes:
        wait_for(lambda p=proc: not processes.process_alive(p["pid"], p["marker"]), 20,
                 f"{proc['role']} to stop")


def test_a_cluster_up_killed_midway_leaves_a_record_that_down_cleans(settings: Settings
                                                                    ) -> None:
    manager = ClusterManager(settings, open_database(settings.catalog_url))
    cli = subprocess.Popen([sys.executable, "-m", "sparkgrove", "--workspace",
                            str(settings.workspace), "cluster", "up", "--name", "killed",
                            "--workers", "2", "--memory", "512m"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def started_master() -> bool:
        try:
            info = manager.get("killed")
        except NotFoundError:  # not recorded yet
            return False
        return info.state == "STARTING" and any(p["role"] == "master" for p in info.processes)

    wait_for(started_master, 120, "the master to be recorded")
    cli.send_signal(signal.SIGKILL)
    cli.wait(timeout=10)
    status = manager.status("killed")
    assert status["state"] == "STARTING" and any(p["alive"] for p in status["processes"])
    with pytest.raises(AlreadyExistsError, match="cluster down killed"):
        manager.up(build_spec({"name": "killed", "workers": 1, "memory": "512m"}))
    manager.down("killed", reason="cleaning an interrupted start")
    folder = str(manager.folder("killed"))
    assert processes.processes_mentioning(folder) == [], "no daemon of the cluster is left"
    assert manager.get("killed").state == "TERMINATED"


def test_cli_cluster_commands(settings: Settings) -> None:
    cli = [sys.executable, "-m", "sparkgrove", "--workspace", str(settings.workspace)]
    listed = json.loads(subprocess.run([*cli, "cluster", "list", "--json"], capture_output=True,
                                       text=True, check=True, timeout=60).stdout)
    assert {c["name"] for c in listed} >= {"tc", "idle"}
    bad = subprocess.run([*cli, "cluster", "up", "--name", "x", "--workers", "0"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2 and "'workers'" in bad.stderr


CONNECT_CLIENT = """
import sys
from pyspark.sql import SparkSession
try:
    spark = SparkSession.builder.remote(sys.argv[1]).getOrCreate()
    print("COUNT", spark.range(10).count())
except Exception as exc:
    print("REFUSED", type(exc).__name__, str(exc).splitlines()[0][:200])
"""


def test_connect_server_with_token_and_a_notebook_over_it(settings: Settings,
                                                           tmp_path: Path) -> None:
    import nbformat
    from nbformat import v4

    from sparkgrove.notebook.execute import run_notebook

    manager = ClusterManager(settings, open_database(settings.catalog_url))
    manager.up(build_spec({"name": "sc", "workers": 2, "cores": 1, "memory": "1g",
                           "configurations": [{"Classification": "spark-defaults", "Properties": {
                               "spark.sparkgrove.marker": "over-connect"}}]}), connect=True)
    try:
        url = manager.connect_url("sc")
        assert url is not None and url.startswith("sc://localhost:")
        connect = next(p for p in manager.get("sc").processes if p["role"] == "connect")
        assert all(processes.is_loopback(a) for a in processes.listening_addresses(connect["pid"]))
        script = tmp_path / "client.py"
        script.write_text(CONNECT_CLIENT)
        ok = subprocess.run([sys.executable, str(script), url], capture_output=True, text=True,
                            timeout=120)
        assert "COUNT 10" in ok.stdout, ok.stdout + ok.stderr[-2000:]
        bad = subprocess.run([sys.executable, str(script), url.split(";")[0] + ";token=wrong"],
                             capture_output=True, text=True, timeout=120)
        assert "REFUSED" in bad.stdout and "COUNT" not in bad.stdout
        path = tmp_path / "over_connect.ipynb"
        nbformat.write(v4.new_notebook(cells=[v4.new_code_cell(
            "%%sql\nSELECT label, count(*) AS n FROM cl.events GROUP BY label ORDER BY label"),
            v4.new_code_cell("print(type(spark).__module__, "
                             "spark.conf.get('spark.sparkgrove.marker'))")]), str(path))
        record = run_notebook(settings.with_overrides(cluster="sc"), path, {})
        assert record.state == "SUCCEEDED", record.error + "\n".join(record.traceback)
        executed = nbformat.read(record.executed, as_version=4)
        assert "yes" in executed.cells[0].outputs[0]["data"]["text/plain"]
        assert "connect" in executed.cells[1].outputs[0]["text"]
        assert "over-connect" in executed.cells[1].outputs[0]["text"]
    finally:
        manager.down("sc")
