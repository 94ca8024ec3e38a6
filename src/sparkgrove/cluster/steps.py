"""Steps, after EMR: scripts or sparkgrove commands submitted to a cluster one at a time.

States (:class:`~sparkgrove.store.states.StepState`): PENDING -> RUNNING -> COMPLETED | FAILED |
CANCELLED | INTERRUPTED. A failed step's ``action_on_failure`` decides what follows: CONTINUE
(the next step runs), CANCEL_AND_WAIT (pending steps are cancelled, the cluster waits),
TERMINATE_CLUSTER (pending steps are cancelled and the cluster shuts down).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkgrove.errors import ConfigError
from sparkgrove.store.states import ClusterState, StepState
from sparkgrove.store.step_store import Step, StepStore

if TYPE_CHECKING:
    from sparkgrove.cluster.emr_steps import StepRequest
    from sparkgrove.cluster.manager import ClusterManager

ACTIONS = ("CONTINUE", "CANCEL_AND_WAIT", "TERMINATE_CLUSTER")
SPARKGROVE_COMMANDS = ("crawl", "train", "predict")


def step_kind(target: str) -> str:
    """``pyspark`` for a ``.py`` script, ``sparkgrove`` for crawl/train/predict."""
    if target in SPARKGROVE_COMMANDS:
        return "sparkgrove"
    if target.endswith(".ipynb"):
        if not Path(target).is_file():
            raise ConfigError(f"The step notebook {target} does not exist.")
        return "notebook"
    if target.endswith(".py"):
        if not Path(target).is_file():
            raise ConfigError(f"The step script {target} does not exist.")
        return "pyspark"
    raise ConfigError(f"A step is a PySpark script (*.py), a notebook (*.ipynb) or one of "
                      f"{', '.join(SPARKGROVE_COMMANDS)}; got {target!r}.")


def add_step(steps: StepStore, cluster: str, target: str, args: list[str], *,
             name: str | None, action_on_failure: str, log_dir: Path,
             spark_args: list[str] | tuple[str, ...] = ()) -> Step:
    """Queue a step (PENDING); ``spark_args`` are spark-submit options (EMR's Spark step
    ``Args`` before the script)."""
    if action_on_failure not in ACTIONS:
        raise ConfigError(f"--action-on-failure must be one of {', '.join(ACTIONS)}; got "
                          f"{action_on_failure!r}.")
    kind = step_kind(target)
    if spark_args and kind == "notebook":
        raise ConfigError("spark-submit options apply to scripts and sparkgrove commands; a "
                          "notebook step sets Spark properties with %%spark_conf or the "
                          "cluster's spark-defaults.")
    if kind in ("pyspark", "notebook"):
        target = str(Path(target).resolve())
    return steps.add(cluster, name=name or Path(target).name, kind=kind, target=target,
                     args=list(args), spark_args=list(spark_args),
                     action_on_failure=action_on_failure, log_dir=log_dir)


def submit_steps(manager: ClusterManager, cluster: str, requests: list[StepRequest]
                 ) -> list[Step]:
    """Queue ``requests`` on a running cluster, in order, after checking every one of them
    (so a bad request queues nothing)."""
    from sparkgrove.cluster.emr_steps import check_fits

    info = manager.get(cluster)
    if info.state != ClusterState.RUNNING:
        raise ConfigError(f"Cluster {cluster} is {info.state}; bring it up first.")
    for request in requests:
        check_fits(request.spark_args, info.spec)
        step_kind(request.target)
    steps = StepStore(manager.db)
    return [add_step(steps, cluster, r.target, r.args, name=r.name,
                     action_on_failure=r.action_on_failure, spark_args=r.spark_args,
                     log_dir=manager.folder(cluster) / "steps") for r in requests]


def wait_for_steps(steps: StepStore, queued: list[Step], poll: float = 1.0) -> list[Step]:
    """Wait until each step has ended; return their final records."""
    done = []
    for step in queued:
        while not step.state.final:
            time.sleep(poll)
            step = steps.get(step.id)
        done.append(step)
    return done


def cancel_step(steps: StepStore, step_id: int) -> str:
    """Cancel a pending step, or stop a running one and mark it cancelled; say which."""
    from sparkgrove import processes

    step = steps.get(step_id)
    message = "cancelled by the user"
    if step.state == StepState.PENDING and steps.set_state(
            step_id, StepState.CANCELLED, only_from=(StepState.PENDING,), message=message):
        return f"Step {step_id} cancelled."
    if step.state == StepState.RUNNING and steps.set_state(
            step_id, StepState.CANCELLED, only_from=(StepState.RUNNING,), message=message):
        if step.pid:
            processes.stop_process(step.pid)
        return f"Step {step_id} stopped and cancelled."
    raise ConfigError(f"Step {step_id} is {step.state}; only PENDING or RUNNING steps can be "
                      "cancelled.")


def step_progress(step: Step) -> dict[str, Any] | None:
    """A running step's application, jobs and stages, from its driver's own REST API;
    ``None`` when the step is not running or its driver does not (yet) answer."""
    from sparkgrove.cluster import daemons

    ui_file = Path(step.log_path).with_suffix(".ui")
    if step.state != StepState.RUNNING or not ui_file.is_file():
        return None
    ui_url = ui_file.read_text(encoding="utf-8").strip()
    apps = daemons.driver_json(ui_url, "applications")
    if not apps:
        return None
    app = apps[0]
    if not str(app.get("name", "")).startswith(f"step-{step.id}-"):
        return None  # another driver took the port the step's was given
    stages = daemons.driver_json(ui_url, f"applications/{app['id']}/stages") or []
    jobs = daemons.driver_json(ui_url, f"applications/{app['id']}/jobs") or []
    return {
        "app_id": app["id"], "app_name": app.get("name"),
        "jobs": [{"id": j.get("jobId"), "name": j.get("name"), "status": j.get("status"),
                  "tasks": j.get("numTasks"), "completed": j.get("numCompletedTasks")}
                 for j in jobs],
        "stages": [{"id": s.get("stageId"), "attempt": s.get("attemptId"),
                    "name": s.get("name"), "status": s.get("status"),
                    "tasks": s.get("numTasks"), "completed": s.get("numCompleteTasks"),
                    "input_records": s.get("inputRecords"),
                    "shuffle_write_bytes": s.get("shuffleWriteBytes")} for s in stages],
    }
