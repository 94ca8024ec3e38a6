"""Running a Glue-style script unchanged: ``sparkgrove etl run SCRIPT --JOB_NAME x ...``.

The script runs in this process with ``sys.argv`` set to its arguments, against the workspace's
catalog and Spark target (``--cluster`` included). ``SparkContext()`` in the script returns the
session sparkgrove started. Its output goes to the run's log; its run record keeps state, times,
rows read and written, error records, and for a failure the exception with the script line.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Row, insert, select, update

from sparkgrove.errors import NotFoundError
from sparkgrove.etl.bookmarks import DISABLE
from sparkgrove.etl.context import ACTIVE_RUN, EtlRun
from sparkgrove.etl.paths import buckets_in, mount_object_store
from sparkgrove.etl.utils import parse_arguments
from sparkgrove.store import schema as s
from sparkgrove.store.db import utcnow
from sparkgrove.workspace import Workspace

RUNNING, SUCCEEDED, FAILED = "RUNNING", "SUCCEEDED", "FAILED"
INTERRUPTED = "INTERRUPTED"


@dataclass(frozen=True)
class RunRecord:
    """A job run's record."""

    id: int
    job: str
    script: str
    args: list[str]
    state: str
    rows_read: int
    rows_written: int
    error_records: int
    log_path: str
    message: str
    started_at: Any
    ended_at: Any

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return {"id": self.id, "job": self.job, "script": self.script, "args": self.args,
                "state": self.state, "rows_read": self.rows_read,
                "rows_written": self.rows_written, "error_records": self.error_records,
                "log_path": self.log_path, "message": self.message,
                "started_at": self.started_at.isoformat() if self.started_at else None,
                "ended_at": self.ended_at.isoformat() if self.ended_at else None}


def _record(row: Row[Any]) -> RunRecord:
    return RunRecord(row.id, row.job, row.script, list(row.args), row.state, row.rows_read,
                     row.rows_written, row.error_records, row.log_path, row.message,
                     row.started_at, row.ended_at)


def _mark_interrupted(workspace: Workspace) -> None:
    """Runs whose process is gone (killed) are INTERRUPTED, not RUNNING forever."""
    from sparkgrove.cluster.daemons import process_alive

    with workspace.catalog.database.begin() as conn:
        rows = conn.execute(select(s.etl_runs.c.id, s.etl_runs.c.pid).where(
            s.etl_runs.c.state == RUNNING)).all()
        for row in rows:
            if row.pid and row.pid != os.getpid() and not process_alive(row.pid):
                conn.execute(update(s.etl_runs).where(s.etl_runs.c.id == row.id).values(
                    state=INTERRUPTED, message="the run's process ended before it finished",
                    ended_at=utcnow()))


def list_runs(workspace: Workspace, job: str | None = None) -> list[RunRecord]:
    """Run records, newest first."""
    _mark_interrupted(workspace)
    with workspace.catalog.database.begin() as conn:
        query = select(s.etl_runs).order_by(s.etl_runs.c.id.desc())
        if job:
            query = query.where(s.etl_runs.c.job == job)
        return [_record(r) for r in conn.execute(query).all()]


def get_run(workspace: Workspace, run_id: int) -> RunRecord:
    """One run record."""
    with workspace.catalog.database.begin() as conn:
        row = conn.execute(select(s.etl_runs).where(s.etl_runs.c.id == run_id)).first()
    if row is None:
        raise NotFoundError(f"Unknown ETL run {run_id}; `sparkgrove etl runs` lists them.")
    return _record(row)


class _Tee(io.TextIOBase):
    def __init__(self, *streams: TextIO) -> None:
        self._streams = streams

    def write(self, text: str) -> int:
        for stream in self._streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self._streams:
            stream.flush()


@contextlib.contextmanager
def reuse_active_context() -> Iterator[None]:
    """Make ``SparkContext()`` in a script return the context sparkgrove started."""
    from pyspark import context as pyspark_context

    klass = pyspark_context.SparkContext
    active = klass._active_spark_context
    if active is None:
        yield
        return
    original_init = klass.__init__

    def new(cls: Any, *args: Any, **kwargs: Any) -> Any:
        return active

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        if self is not active:
            original_init(self, *args, **kwargs)

    klass.__new__ = new  # type: ignore[method-assign]
    klass.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        del klass.__new__
        klass.__init__ = original_init  # type: ignore[method-assign]


def _java_cause(exc: BaseException) -> str | None:
    """The innermost Java exception of a Py4J error, as ``class: message``."""
    java = getattr(exc, "java_exception", None)
    if java is None:
        return None
    try:
        while java.getCause() is not None and java.getCause() != java:
            java = java.getCause()
        return str(java.toString()).splitlines()[0]
    except Exception:  # the gateway may be gone; fall back to the Python text
        return None


def _failure_message(exc: BaseException, script: Path) -> str:
    """One line: the error (the Java cause for a failure inside Spark) and the script line."""
    if isinstance(exc, SyntaxError) and exc.filename == str(script):
        return (f"SyntaxError: {exc.msg} at {script}:{exc.lineno}: "
                f"{(exc.text or '').strip()}")
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(script)]
    where = f" at {script}:{frames[-1].lineno}: {frames[-1].line}" if frames else ""
    cause = _java_cause(exc)
    text = cause or (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {text}{where}"


def glue_arguments(args: list[str], job: str, run_id: int) -> list[str]:
    """The script's arguments plus those Glue passes every job, where not given."""
    given = parse_arguments(args)
    extra: list[str] = []
    defaults = {"JOB_NAME": job, "JOB_ID": f"j_{job}", "JOB_RUN_ID": f"jr_{run_id:08d}",
                "job-bookmark-option": DISABLE, "TempDir": f"s3://sparkgrove-temp/{job}/"}
    for key, value in defaults.items():
        if key not in given:
            extra += [f"--{key}", value]
    return [*args, *extra]


def run_script(workspace: Workspace, script: str | Path, args: list[str], *,
               echo: bool = True) -> RunRecord:
    """Run a Glue-style script; return its run record (FAILED runs publish nothing).

    The script's output goes to the run's log, and also to this process's output when
    ``echo`` (``etl run --json`` turns it off, so stdout holds one JSON document)."""
    path = Path(script).resolve()
    if not path.is_file():
        raise NotFoundError(f"The ETL script {path} does not exist.")
    given = parse_arguments(args)
    job = given.get("JOB_NAME", path.stem)
    option = given.get("job-bookmark-option", DISABLE)
    database = workspace.catalog.database
    log_dir = workspace.settings.logs / "etl"
    log_dir.mkdir(parents=True, exist_ok=True)
    from sparkgrove.etl.publish import recover

    recover(workspace)  # a run killed during its publish is finished before this one reads
    with database.begin() as conn:
        run_id = int(conn.execute(insert(s.etl_runs).values(
            job=job, script=str(path), args=list(args), state=RUNNING, pid=os.getpid(),
            rows_read=0,
            rows_written=0, error_records=0, log_path="", message="",
            started_at=utcnow())).inserted_primary_key[0])  # type: ignore[index]
    log_path = log_dir / f"run-{run_id}.log"
    run = EtlRun(workspace, job_name=job, bookmark_option=option, run_id=run_id)
    token = ACTIVE_RUN.set(run)
    state, message = SUCCEEDED, ""
    saved_argv = sys.argv
    with log_path.open("w") as log:
        tee_out = _Tee(sys.stdout, log) if echo else _Tee(log)
        tee_err = _Tee(sys.stderr, log) if echo else _Tee(log)
        try:
            text = path.read_text(encoding="utf-8-sig")
            code = compile(text, str(path), "exec")
            spark = workspace.spark  # start (or reuse) the session before the script asks
            mount_object_store(spark, workspace.settings,
                               buckets_in(text + " " + " ".join(args)))
            sys.argv = [str(path), *glue_arguments(args, job, run_id)]
            with reuse_active_context(), contextlib.redirect_stdout(tee_out), \
                    contextlib.redirect_stderr(tee_err):
                exec(code, {"__name__": "__main__", "__file__": str(path)})
            run.publish()
        except SystemExit as exc:
            if exc.code in (0, None):
                run.publish()
            else:
                state, message = FAILED, f"the script exited with {exc.code}"
                run.discard()
        except BaseException as exc:
            state, message = FAILED, _failure_message(exc, path)
            log.write(traceback.format_exc())
            run.discard()
        finally:
            sys.argv = saved_argv
            ACTIVE_RUN.reset(token)
    with database.begin() as conn:
        conn.execute(update(s.etl_runs).where(s.etl_runs.c.id == run_id).values(
            state=state, message=message, rows_read=run.rows_read,
            rows_written=run.rows_written if state == SUCCEEDED else 0,
            error_records=run.error_records, log_path=str(log_path), ended_at=utcnow()))
    return get_run(workspace, run_id)
