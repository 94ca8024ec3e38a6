"""The step runner: one process per cluster that runs its steps in order, applies each failed
step's action-on-failure, and shuts the cluster down after its idle timeout.

Started by ``cluster up``; run as ``python -m sparkgrove.cluster.runner --workspace W NAME``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from sparkgrove import processes
from sparkgrove.cluster import daemons
from sparkgrove.cluster.manager import ClusterManager
from sparkgrove.settings import load_settings
from sparkgrove.store.db import open_database
from sparkgrove.store.states import ClusterState, StepState
from sparkgrove.store.step_store import Step, StepStore

POLL_SECONDS = 0.5
LAUNCHER = Path(__file__).parents[1] / "__main__.py"
"""The driver script of sparkgrove-command steps (``python -m sparkgrove``)."""


def _is_glue_script(path: str) -> bool:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "from awsglue" in text or "import awsglue" in text


def driver_ui_file(step: Step) -> Path:
    """Where the address of a step driver's UI (and REST API) is kept."""
    path = Path(step.log_path).with_suffix(".ui")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def submit_command(manager: ClusterManager, step: Step) -> tuple[list[str], dict[str, str]]:
    """The spark-submit command line and environment of a step."""
    master_url, conf, properties = manager.client_conf(step.cluster)
    info = manager.get(step.cluster)
    if step.kind == "notebook":  # the kernel is the driver: run it headless, on the cluster
        return ([sys.executable, "-m", "sparkgrove", "--workspace",
                 str(manager.settings.workspace), "--catalog-url", manager.settings.catalog_url,
                 "--cluster", step.cluster, "notebook", "run", step.target, *step.args],
                manager.daemon_env(info.spec))
    argv = [str(daemons.spark_home() / "bin" / "spark-submit"), "--master", master_url,
            "--name", f"step-{step.id}-{step.name}", "--properties-file", str(properties)]
    # The driver's UI (bound to loopback, as the daemons are) serves its REST API, from which
    # the console shows the step's jobs and stages; its address is kept beside the step's log.
    ui_port = processes.free_port()
    driver_ui_file(step).write_text(f"http://{processes.LOOPBACK}:{ui_port}\n")
    ui = {"spark.ui.enabled": "true", "spark.ui.port": str(ui_port),
          "spark.ui.showConsoleProgress": "false"}
    for key, value in {**conf, **ui}.items():
        argv += ["--conf", f"{key}={value}"]
    argv += step.spark_args  # the step's own options win over the cluster's defaults
    if step.kind == "pyspark" and step.target.endswith(".py") and _is_glue_script(step.target):
        # A Glue-style script runs through `sparkgrove etl run`, so it gets a run record,
        # staged writes and bookmarks, with this workspace and this cluster.
        argv += [str(LAUNCHER), "--workspace", str(manager.settings.workspace),
                 "--catalog-url", manager.settings.catalog_url, "--cluster", step.cluster,
                 "etl", "run", step.target, *step.args]
    elif step.kind == "pyspark":
        argv += [step.target, *step.args]
    else:
        argv += [str(LAUNCHER), "--workspace", str(manager.settings.workspace),
                 "--catalog-url", manager.settings.catalog_url, "--cluster", step.cluster,
                 step.target, *step.args]
    return argv, manager.daemon_env(info.spec)


def run(workspace: str, catalog_url: str, name: str) -> None:
    """Run steps of cluster ``name`` until the cluster stops."""
    settings = load_settings(workspace=workspace, catalog_url=catalog_url)
    database = open_database(settings.catalog_url)
    manager = ClusterManager(settings, database)
    steps = StepStore(database)
    current: tuple[Step, subprocess.Popen[bytes]] | None = None
    last_busy = time.monotonic()
    while True:
        info = manager.get(name)
        if info.state == ClusterState.STARTING:  # `cluster up` records RUNNING once everything is up
            time.sleep(POLL_SECONDS)
            continue
        if info.state != ClusterState.RUNNING:
            return
        if current is not None:
            step, proc = current
            code = proc.poll()
            if code is not None:
                current = None
                last_busy = time.monotonic()
                if code == 0:
                    steps.set_state(step.id, StepState.COMPLETED, only_from=(StepState.RUNNING,),
                                    exit_code=0)
                elif steps.set_state(step.id, StepState.FAILED, only_from=(StepState.RUNNING,),
                                     exit_code=code, message=f"exited with code {code}"):
                    if step.action_on_failure == "CANCEL_AND_WAIT":
                        steps.cancel_pending(name, f"step {step.id} failed (CANCEL_AND_WAIT)")
                    elif step.action_on_failure == "TERMINATE_CLUSTER":
                        steps.cancel_pending(name, f"step {step.id} failed (TERMINATE_CLUSTER)")
                        manager.down(name, reason=f"step {step.id} failed (TERMINATE_CLUSTER)")
                        return
            else:
                last_busy = time.monotonic()
        if current is None:
            step_or_none = steps.next_pending(name)
            if step_or_none is not None:
                step = step_or_none
                argv, env = submit_command(manager, step)
                log = Path(step.log_path)
                log.parent.mkdir(parents=True, exist_ok=True)
                with log.open("ab") as out:
                    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
                if steps.set_state(step.id, StepState.RUNNING, only_from=(StepState.PENDING,), pid=proc.pid):
                    current = (step, proc)
                else:  # cancelled between the read and the start
                    processes.stop_process(proc.pid)
                    proc.wait()
                    steps.set_state(step.id, StepState.CANCELLED)
                last_busy = time.monotonic()
        timeout = info.spec.idle_timeout
        if timeout and current is None:
            status = manager.master_json(info)
            if status and status.get("activeapps"):
                last_busy = time.monotonic()
            elif time.monotonic() - last_busy > timeout:
                manager.down(name, reason=f"idle for {timeout}s (auto-termination)")
                return
        time.sleep(POLL_SECONDS)


def main() -> None:
    """Entry point of the runner process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--catalog-url", required=True)
    parser.add_argument("name")
    args = parser.parse_args()
    run(args.workspace, args.catalog_url, args.name)


if __name__ == "__main__":
    main()
