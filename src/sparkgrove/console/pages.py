"""What every console page shares: the workspace it shows, the templates, and rendering."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse, RedirectResponse, Response

from sparkgrove import __version__
from sparkgrove.console.security import CSRF_FIELD, csrf_value
from sparkgrove.workspace import Workspace

HERE = Path(__file__).parent
PAGE_SIZE = 100
"""Rows per page of long lists (partitions, files, runs)."""


@dataclass
class ConsoleState:
    """The console's workspace and secrets, kept on the app."""

    workspace: Workspace
    token: str

    @property
    def csrf(self) -> str:
        """The form field every action carries."""
        return csrf_value(self.token)


def _when(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str) and len(value) >= 19 and value[10] == "T":
        return value[:19].replace("T", " ")
    return "" if value is None else str(value)


def _duration(start: Any, end: Any) -> str:
    def as_dt(v: Any) -> dt.datetime | None:
        if isinstance(v, dt.datetime):
            return v if v.tzinfo else v.replace(tzinfo=dt.UTC)
        if isinstance(v, str) and v:
            try:
                parsed = dt.datetime.fromisoformat(v)
            except ValueError:
                return None
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        return None

    begin, finish = as_dt(start), as_dt(end)
    if begin is None:
        return ""
    seconds = ((finish or dt.datetime.now(dt.UTC)) - begin).total_seconds()
    text = f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
    return text if finish else f"{text} so far"


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def make_templates() -> Jinja2Templates:
    """The console's templates (autoescaped), with its filters."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.autoescape = True
    env.filters.update(when=_when, number=_number)
    env.globals.update(duration=_duration, version=__version__, csrf_field=CSRF_FIELD)
    return templates


TEMPLATES = make_templates()


def state_of(request: Request) -> ConsoleState:
    """The console state of the app serving ``request``."""
    state: ConsoleState = request.app.state.console
    return state


def workspace_of(request: Request) -> Workspace:
    """The workspace the console shows."""
    return state_of(request).workspace


def render(request: Request, template: str, status_code: int = 200, **context: Any
           ) -> HTMLResponse:
    """``template`` with ``context``, the CSRF value and the current section."""
    section = request.url.path.strip("/").split("/")[0] or "home"
    return TEMPLATES.TemplateResponse(request, template, {
        **context, "csrf": state_of(request).csrf, "section": section},
        status_code=status_code)


def redirect(path: str, notice: str | None = None) -> Response:
    """Back to a page after an action (POST, then 303, then GET), with a line saying what
    happened."""
    from urllib.parse import urlencode

    target = path + ("?" + urlencode({"notice": notice}) if notice else "")
    return RedirectResponse(target, status_code=303)


def page_slice(items: list[Any], page: int) -> tuple[list[Any], int, int]:
    """Items of page ``page`` (from 1), the page clamped to the range, and the page count."""
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    return items[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], page, pages
