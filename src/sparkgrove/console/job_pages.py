"""Job pages: ETL runs (with logs and bookmarks), cluster steps, and headless notebook runs with
their executed copies."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from sparkgrove.console.notebook_view import notebook_cells
from sparkgrove.console.pages import page_slice, redirect, render, workspace_of
from sparkgrove.console.security import form_of

router = APIRouter()
LOG_BYTES = 64 * 1024
"""How much of a log's end a page shows."""


def log_end(path: str) -> str:
    """The last :data:`LOG_BYTES` of a log file ('' when there is none yet)."""
    if not path:
        return ""
    try:
        with Path(path).open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - LOG_BYTES))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return text if size <= LOG_BYTES else "…" + text[text.find("\n") + 1:]


def _all_steps(request: Request) -> list[object]:
    from sparkgrove.cluster.manager import ClusterManager
    from sparkgrove.store.step_store import StepStore

    ws = workspace_of(request)
    manager = ClusterManager(ws.settings, ws.catalog.database)
    steps = StepStore(ws.catalog.database)
    found = [s for c in manager.list_clusters() for s in steps.for_cluster(c.name)]
    return sorted(found, key=lambda s: s.id, reverse=True)  # type: ignore[attr-defined]


@router.get("/jobs", response_class=HTMLResponse)
def jobs(request: Request, page: int = 1) -> HTMLResponse:
    """ETL runs, cluster steps and notebook runs, newest first."""
    from sparkgrove.etl.runner import list_runs
    from sparkgrove.notebook.execute import list_notebook_runs

    ws = workspace_of(request)
    runs, page, pages = page_slice(list_runs(ws), page)
    return render(request, "jobs.html", runs=runs, page=page, pages=pages,
                  steps=_all_steps(request)[:100],
                  notebook_runs=list_notebook_runs(ws.settings)[:100])


@router.get("/jobs/etl/{run_id}", response_class=HTMLResponse)
def etl_run(request: Request, run_id: int) -> HTMLResponse:
    """One ETL run: its record, its log's end (refreshed while it runs), its job's bookmarks."""
    from sparkgrove.etl.runner import get_run, list_runs
    from sparkgrove.store.bookmark_store import BookmarkStore

    ws = workspace_of(request)
    list_runs(ws)  # marks runs whose process died as INTERRUPTED
    run = get_run(ws, run_id)
    return render(request, "etl_run.html", run=run, log=log_end(run.log_path),
                  running=run.state == "RUNNING",
                  bookmarks=BookmarkStore(ws.catalog.database).show(run.job))


@router.post("/jobs/bookmarks/{job}/reset")
async def reset_bookmarks(request: Request, job: str) -> Response:
    """Forget a job's bookmarks (its next run reads everything)."""
    from starlette.concurrency import run_in_threadpool

    from sparkgrove.store.bookmark_store import BookmarkStore

    form = await form_of(request)
    ws = workspace_of(request)
    count = await run_in_threadpool(BookmarkStore(ws.catalog.database).reset, job)
    back = form.get("back", "/jobs")
    return redirect(back if back.startswith("/jobs") else "/jobs",
                    f"Reset {count} bookmark(s) of job {job}.")


@router.get("/jobs/steps/{step_id}", response_class=HTMLResponse)
def step(request: Request, step_id: int) -> HTMLResponse:
    """One cluster step: record, log's end, and while it runs its driver's jobs and stages."""
    from sparkgrove.cluster.steps import step_progress
    from sparkgrove.store.step_store import StepStore

    ws = workspace_of(request)
    record = StepStore(ws.catalog.database).get(step_id)
    return render(request, "step.html", step=record, log=log_end(record.log_path),
                  running=not record.state.final, progress=step_progress(record))


@router.get("/jobs/notebooks/{name}", response_class=HTMLResponse)
def notebook_run(request: Request, name: str) -> HTMLResponse:
    """One headless notebook run and its executed copy, rendered."""
    from sparkgrove.notebook.execute import executed_notebook, get_notebook_run

    ws = workspace_of(request)
    run = get_notebook_run(ws.settings, name)
    notebook = executed_notebook(ws.settings, run)
    return render(request, "notebook_run.html", run=run,
                  cells=notebook_cells(notebook) if notebook is not None else None)
