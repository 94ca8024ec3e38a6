"""Step records (EMR's steps): queued, run one at a time per cluster, each with its state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Row, insert, select, update

from sparkgrove.errors import NotFoundError
from sparkgrove.store import schema as s
from sparkgrove.store.db import Database, utcnow
from sparkgrove.store.states import StepState


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
    state: StepState
    exit_code: int | None
    pid: int | None
    log_path: str
    message: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime | None

def _step(row: Row[Any]) -> Step:
    return Step(row.id, row.cluster, row.name, row.kind, row.target, list(row.args),
                list(row.spark_args or []), row.action_on_failure, StepState(row.state), row.exit_code,
                row.pid, row.log_path, row.message, row.created_at, row.started_at, row.ended_at)


class StepStore:
    """Step records; each public method is one transaction."""

    def __init__(self, database: Database) -> None:
        self.db = database

    def add(self, cluster: str, *, name: str, kind: str, target: str, args: list[str],
            spark_args: list[str], action_on_failure: str, log_dir: Path) -> Step:
        """Record a PENDING step (checked by :func:`sparkgrove.cluster.steps.add_step`); its
        log is ``log_dir/step-<id>.log``."""
        with self.db.begin() as conn:
            new_id = conn.execute(insert(s.steps).values(
                cluster=cluster, name=name, kind=kind, target=target,
                args=list(args), spark_args=list(spark_args),
                action_on_failure=action_on_failure, state=StepState.PENDING,
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
        pending = [st for st in self.for_cluster(cluster) if st.state == StepState.PENDING]
        return pending[0] if pending else None

    def running(self, cluster: str) -> Step | None:
        """The running step, if any."""
        return next((st for st in self.for_cluster(cluster) if st.state == StepState.RUNNING), None)

    def set_state(self, step_id: int, state: StepState, *,
                  only_from: tuple[StepState, ...] | None = None, **values: Any) -> bool:
        """Move a step to ``state`` (only from the given states); return whether it moved."""
        now = utcnow()
        extra = dict(values)
        if state == StepState.RUNNING:
            extra.setdefault("started_at", now)
        if state.final:
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
                s.steps.c.cluster == cluster, s.steps.c.state == StepState.PENDING).values(
                state=StepState.CANCELLED, message=message, ended_at=utcnow())).rowcount)

    def interrupt_all(self, cluster: str) -> None:
        """When a cluster stops: running steps are INTERRUPTED, pending ones CANCELLED."""
        with self.db.begin() as conn:
            conn.execute(update(s.steps).where(
                s.steps.c.cluster == cluster, s.steps.c.state == StepState.RUNNING).values(
                state=StepState.INTERRUPTED, message="the cluster stopped", ended_at=utcnow()))
        self.cancel_pending(cluster, "the cluster stopped")
