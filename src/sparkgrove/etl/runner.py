"""Running a Glue-style script unchanged: ``sparkgrove etl run SCRIPT --JOB_NAME x ...``.

The script runs in this process with ``sys.argv`` set to its arguments, against the workspace's
catalog and Spark target (``--cluster`` included). ``SparkContext()`` in the script returns the
session sparkgrove started. Its output goes to the run's log; its run record keeps state, times,
rows read and written, error records, and for a failure the exception with the script line.
"""

from __future__ import annotations

import contextlib
import io
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from sparkgrove.errors import NotFoundError
from sparkgrove.etl.bookmarks import DISABLE
from sparkgrove.etl.context import ACTIVE_RUN, EtlRun
from sparkgrove.etl.paths import buckets_in, mount_object_store
from sparkgrove.etl.utils import parse_arguments
from sparkgrove.store.run_store import RunRecord, RunStore
from sparkgrove.store.states import RunState
from sparkgrove.workspace import Workspace


def list_runs(workspace: Workspace, job: str | None = None) -> list[RunRecord]:
    """Run records, newest first (runs whose process was killed show as INTERRUPTED)."""
    from sparkgrove.processes import process_alive

    runs = RunStore(workspace.catalog.database)
    runs.interrupt_dead(process_alive)
    return runs.list(job)


def get_run(workspace: Workspace, run_id: int) -> RunRecord:
    """One run record."""
    return RunStore(workspace.catalog.database).get(run_id)


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


def _failure_message(exc: BaseException, script: Path) -> str:
    """One line: the error (the Java cause for a failure inside Spark) and the script line."""
    if isinstance(exc, SyntaxError) and exc.filename == str(script):
        return (f"SyntaxError: {exc.msg} at {script}:{exc.lineno}: "
                f"{(exc.text or '').strip()}")
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(script)]
    where = f" at {script}:{frames[-1].lineno}: {frames[-1].line}" if frames else ""
    from sparkgrove.spark import java_cause

    cause = java_cause(exc)
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
    log_dir = workspace.settings.logs / "etl"
    log_dir.mkdir(parents=True, exist_ok=True)
    from sparkgrove.etl.publish import recover

    recover(workspace)  # a run killed during its publish is finished before this one reads
    runs = RunStore(workspace.catalog.database)
    run_id = runs.start(job, str(path), list(args))
    log_path = log_dir / f"run-{run_id}.log"
    run = EtlRun(workspace, job_name=job, bookmark_option=option, run_id=run_id)
    token = ACTIVE_RUN.set(run)
    state, message = RunState.SUCCEEDED, ""
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
                state, message = RunState.FAILED, f"the script exited with {exc.code}"
                run.discard()
        except BaseException as exc:
            state, message = RunState.FAILED, _failure_message(exc, path)
            log.write(traceback.format_exc())
            run.discard()
        finally:
            sys.argv = saved_argv
            ACTIVE_RUN.reset(token)
    runs.finish(run_id, state, message, rows_read=run.rows_read,
                rows_written=run.rows_written if state == RunState.SUCCEEDED else 0,
                error_records=run.error_records, log_path=str(log_path))
    return get_run(workspace, run_id)
