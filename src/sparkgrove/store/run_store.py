"""ETL job run records (Glue's job runs): state, times, rows read and written, the log."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, insert, select, update

from sparkgrove.errors import NotFoundError
from sparkgrove.store import schema as s
from sparkgrove.store.db import Database, utcnow
from sparkgrove.store.states import RunState


@dataclass(frozen=True)
class RunRecord:
    """A job run's record."""

    id: int
    job: str
    script: str
    args: list[str]
    state: RunState
    rows_read: int
    rows_written: int
    error_records: int
    log_path: str
    message: str
    started_at: dt.datetime
    ended_at: dt.datetime | None

def _record(row: Row[Any]) -> RunRecord:
    return RunRecord(row.id, row.job, row.script, list(row.args), RunState(row.state),
                     row.rows_read, row.rows_written, row.error_records, row.log_path,
                     row.message, row.started_at, row.ended_at)


class RunStore:
    """ETL run records; each public method is one transaction."""

    def __init__(self, database: Database) -> None:
        self.db = database

    def start(self, job: str, script: str, args: list[str]) -> int:
        """Record a RUNNING run of this process; return its id."""
        with self.db.begin() as conn:
            return int(conn.execute(insert(s.etl_runs).values(
                job=job, script=script, args=list(args), state=RunState.RUNNING,
                pid=os.getpid(), rows_read=0, rows_written=0, error_records=0, log_path="",
                message="", started_at=utcnow())).inserted_primary_key[0])  # type: ignore[index]

    def finish(self, run_id: int, state: RunState, message: str, **counts: Any) -> None:
        """Record how a run ended (``counts``: rows_read, rows_written, error_records,
        log_path)."""
        with self.db.begin() as conn:
            conn.execute(update(s.etl_runs).where(s.etl_runs.c.id == run_id).values(
                state=state, message=message, ended_at=utcnow(), **counts))

    def interrupt_dead(self, alive: Callable[[int], bool]) -> None:
        """Runs whose process is gone (killed) become INTERRUPTED, not RUNNING forever."""
        with self.db.begin() as conn:
            rows = conn.execute(select(s.etl_runs.c.id, s.etl_runs.c.pid).where(
                s.etl_runs.c.state == RunState.RUNNING)).all()
            for row in rows:
                if row.pid and row.pid != os.getpid() and not alive(row.pid):
                    conn.execute(update(s.etl_runs).where(s.etl_runs.c.id == row.id).values(
                        state=RunState.INTERRUPTED,
                        message="the run's process ended before it finished",
                        ended_at=utcnow()))

    def list(self, job: str | None = None) -> list[RunRecord]:
        """Run records, newest first."""
        query = select(s.etl_runs).order_by(s.etl_runs.c.id.desc())
        if job:
            query = query.where(s.etl_runs.c.job == job)
        with self.db.begin() as conn:
            return [_record(r) for r in conn.execute(query).all()]

    def get(self, run_id: int) -> RunRecord:
        """One run record."""
        with self.db.begin() as conn:
            row = conn.execute(select(s.etl_runs).where(s.etl_runs.c.id == run_id)).first()
        if row is None:
            raise NotFoundError(f"Unknown ETL run {run_id}; `sparkgrove etl runs` lists them.")
        return _record(row)
