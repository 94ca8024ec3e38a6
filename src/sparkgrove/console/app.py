"""The console app: FastAPI routes rendering Jinja2 pages over the workspace's library calls,
wrapped in :class:`~sparkgrove.console.security.ConsoleGuard`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response

from sparkgrove.console import catalog_pages, cluster_pages, job_pages, model_pages
from sparkgrove.console.pages import HERE, ConsoleState, render, workspace_of
from sparkgrove.console.security import ConsoleGuard
from sparkgrove.errors import SparkgroveError
from sparkgrove.workspace import Workspace

TITLES = {400: "That cannot be done as asked", 404: "Not found", 409: "Already exists",
          422: "That cannot be done with this data", 501: "Not offered", 502: "Spark failed",
          503: "Not available now"}


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", status_code=status, title=title, message=message)


def create_app(workspace: Workspace, token: str) -> ConsoleGuard:
    """The console for ``workspace``, reachable with ``token``."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        workspace.close()

    api = FastAPI(title="sparkgrove console", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    api.state.console = ConsoleState(workspace, token)
    api.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (catalog_pages, job_pages, model_pages, cluster_pages):
        api.include_router(module.router)

    @api.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        """What the workspace holds, and the latest of each kind."""
        from sparkgrove.cluster.manager import ClusterManager
        from sparkgrove.etl.runner import list_runs

        ws = workspace_of(request)
        clusters = ClusterManager(ws.settings, ws.catalog.database).list_clusters()
        return render(request, "home.html", tables=ws.catalog.tables(),
                      runs=list_runs(ws)[:5], models=ws.registry.list_models(),
                      clusters=clusters, workspace=str(ws.settings.workspace))

    @api.exception_handler(SparkgroveError)
    async def library_error(request: Request, exc: SparkgroveError) -> Response:
        return _error_page(request, exc.http_status, TITLES.get(exc.http_status, "It failed"),
                           str(exc))

    @api.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}"
                             for e in exc.errors())
        return _error_page(request, 400, "Bad address", f"The address has a bad part: {problems}.")

    @api.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404:
            return _error_page(request, 404, "Not found",
                               f"There is no page at {request.url.path}.")
        return _error_page(request, exc.status_code, "Error", str(exc.detail))

    return ConsoleGuard(api, token)
