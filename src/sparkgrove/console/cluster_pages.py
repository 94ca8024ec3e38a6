"""Cluster pages: clusters, a cluster's workers, cores, memory and applications (from its
master's own JSON), its steps; add a step, stop the cluster."""

from __future__ import annotations

import shlex

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from sparkgrove.console.pages import redirect, render, workspace_of
from sparkgrove.console.security import form_of
from sparkgrove.errors import ConfigError

router = APIRouter()


def _manager(request: Request):  # type: ignore[no-untyped-def]
    from sparkgrove.cluster.manager import ClusterManager

    ws = workspace_of(request)
    return ClusterManager(ws.settings, ws.catalog.database)


@router.get("/clusters", response_class=HTMLResponse)
def clusters(request: Request) -> HTMLResponse:
    """Every cluster this workspace started, with its state."""
    return render(request, "clusters.html", clusters=_manager(request).list_clusters())


@router.get("/clusters/{name}", response_class=HTMLResponse)
def cluster(request: Request, name: str) -> HTMLResponse:
    """One cluster: status from its master, its steps, the step form and the stop button."""
    from sparkgrove.cluster.steps import ACTIONS, SPARKGROVE_COMMANDS
    from sparkgrove.store.step_store import StepStore

    manager = _manager(request)
    status = manager.status(name)
    steps = sorted(StepStore(manager.db).for_cluster(name), key=lambda s: -s.id)
    return render(request, "cluster.html", name=name, status=status, steps=steps,
                  actions=ACTIONS, commands=SPARKGROVE_COMMANDS,
                  running=status.get("state") == "RUNNING",
                  notice=request.query_params.get("notice"))


@router.post("/clusters/{name}/steps")
async def add_step(request: Request, name: str) -> Response:
    """Queue a step: a sparkgrove command, a PySpark script or a notebook, with arguments."""
    from sparkgrove.cluster.emr_steps import StepRequest
    from sparkgrove.cluster.steps import submit_steps

    form = await form_of(request)
    target = form.get("target", "").strip()
    try:
        args = shlex.split(form.get("args", ""))
    except ValueError as exc:
        raise ConfigError(f"The step's arguments do not parse as a command line: {exc}.") from exc
    request_ = StepRequest(name=form.get("name", "").strip() or target.rsplit("/", 1)[-1],
                           target=target, args=args, spark_args=[],
                           action_on_failure=form.get("action_on_failure", "CONTINUE"))
    manager = _manager(request)
    queued = await run_in_threadpool(submit_steps, manager, name, [request_])
    return redirect(f"/clusters/{name}", f"Step {queued[0].id} ({queued[0].name}) queued.")


@router.post("/clusters/{name}/stop")
async def stop(request: Request, name: str) -> Response:
    """Stop the cluster's daemons, steps and runner."""
    await form_of(request)
    manager = _manager(request)
    stopped = await run_in_threadpool(manager.down, name)
    return redirect(f"/clusters/{name}", f"Cluster {name} stopped ({len(stopped)} processes).")
