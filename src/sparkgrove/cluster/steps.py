"""Steps, after EMR: scripts or sparkgrove commands submitted to a cluster one at a time.

States: PENDING -> RUNNING -> COMPLETED | FAILED | CANCELLED | INTERRUPTED. A failed step's
``action_on_failure`` decides what follows: CONTINUE (the next step runs), CANCEL_AND_WAIT
(pending steps are cancelled, the cluster waits), TERMINATE_CLUSTER (pending steps are
cancelled and the cluster shuts down).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Row, insert, select, update

from sparkgrove.errors import ConfigError, NotFoundError
from sparkgrove.store import schema as s
from sparkgrove.store.db import Database, utcnow

PENDING, RUNNING, COMPLETED = "PENDING", "RUNNING", "COMPLETED"
CANCELLED, FAILED, INTERRUPTED = "CANCELLED", "FAILED", "INTERRUPTED"
FINAL_STATES = (COMPLETED, CANCELLED, FAILED, INTERRUPTED)
ACTIONS = ("CONTINUE", "CANCEL_AND_WAIT", "TERMINATE_CLUSTER")
SPARKGROVE_COMMANDS = ("crawl", "train", "predict")


@dataclass(frozen=True)
class Step:
    """A step's record."""

    id: int
    cluster: str
    name: str
    kind: str
    target: str
    args: list[str]
    spark_args: list[str]
    action_on_failure: str
    state: str
    exit_code: int | None
    pid: int | None
    log_path: str
    message: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        def when(value: dt.datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {"id": self.id, "cluster": self.cluster, "name": self.name, "kind": self.kind,
                "target": self.target, "args": self.args, "spark_args": self.spark_args,
                "action_on_failure": self.action_on_failure, "state": self.state,
                "exit_code": self.exit_code, "pid": self.pid, "log_path": self.log_path,
                "message": self.message, "created_at": when(self.created_at),
                "started_at": when(self.started_at), "ended_at": when(self.ended_at)}


def _step(row: Row[Any]) -> Step:
    return Step(row.id, row.cluster, row.name, row.kind, row.target, list(row.args),
                list(row.spark_args or []), row.action_on_failure, row.state, row.exit_code,
                row.pid, row.log_path, row.message, row.created_at, row.started_at, row.ended_at)


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


class StepStore:
    """Step records; each public method is one transaction."""

    def __init__(self, database: Database) -> None:
        self.db = database

    def add(self, cluster: str, target: str, args: list[str], *, name: str | None,
            action_on_failure: str, log_dir: Path,
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
        with self.db.begin() as conn:
            new_id = conn.execute(insert(s.steps).values(
                cluster=cluster, name=name or Path(target).name, kind=kind, target=target,
                args=list(args), spark_args=list(spark_args),
                action_on_failure=action_on_failure, state=PENDING,
                log_path="", message="", created_at=utcnow())).inserted_primary_key[0]  # type: ignore[index]
            log = str(log_dir / f"step-{new_id}.log")
            conn.execute(update(s.steps).where(s.steps.c.id == new_id).values(log_path=log))
        return self.get(int(new_id))

    def get(self, step_id: int) -> Step:
        """One step."""
        with self.db.begin() as conn:
            row = conn.execute(select(s.steps).where(s.steps.c.id == step_id)).first()
        if row is None:
            raise NotFoundError(f"Unknown step {step_id}; `sparkgrove step list CLUSTER` shows "
                                "the steps.")
        return _step(row)

    def for_cluster(self, cluster: str) -> list[Step]:
        """A cluster's steps, oldest first."""
        with self.db.begin() as conn:
            rows = conn.execute(select(s.steps).where(s.steps.c.cluster == cluster).order_by(
                s.steps.c.id)).all()
        return [_step(r) for r in rows]

    def next_pending(self, cluster: str) -> Step | None:
        """The oldest pending step."""
        pending = [st for st in self.for_cluster(cluster) if st.state == PENDING]
        return pending[0] if pending else None

    def running(self, cluster: str) -> Step | None:
        """The running step, if any."""
        return next((st for st in self.for_cluster(cluster) if st.state == RUNNING), None)

    def set_state(self, step_id: int, state: str, *, only_from: tuple[str, ...] | None = None,
                  **values: Any) -> bool:
        """Move a step to ``state`` (only from the given states); return whether it moved."""
        now = utcnow()
        extra = dict(values)
        if state == RUNNING:
            extra.setdefault("started_at", now)
        if state in FINAL_STATES:
            extra.setdefault("ended_at", now)
        with self.db.begin() as conn:
            query = update(s.steps).where(s.steps.c.id == step_id)
            if only_from:
                query = query.where(s.steps.c.state.in_(only_from))
            return bool(conn.execute(query.values(state=state, **extra)).rowcount)

    def cancel_pending(self, cluster: str, message: str) -> int:
        """Cancel every pending step of the cluster."""
        with self.db.begin() as conn:
            return int(conn.execute(update(s.steps).where(
                s.steps.c.cluster == cluster, s.steps.c.state == PENDING).values(
                state=CANCELLED, message=message, ended_at=utcnow())).rowcount)

    def interrupt_all(self, cluster: str) -> None:
        """When a cluster stops: running steps are INTERRUPTED, pending ones CANCELLED."""
        with self.db.begin() as conn:
            conn.execute(update(s.steps).where(
                s.steps.c.cluster == cluster, s.steps.c.state == RUNNING).values(
                state=INTERRUPTED, message="the cluster stopped", ended_at=utcnow()))
        self.cancel_pending(cluster, "the cluster stopped")
