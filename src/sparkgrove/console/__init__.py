"""The web console: tables, jobs, models and clusters at a glance (FastAPI + Jinja2).

``sparkgrove console`` serves it on 127.0.0.1:8765 with a token, as JupyterLab does. Pages are
rendered on the server and work without JavaScript (except the tree's pan and zoom); actions are
POSTs that carry a CSRF field and are refused from other origins.

The app and the server are imported on first use, so the CLI's ``--help`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sparkgrove.console.links import console_link

if TYPE_CHECKING:
    from sparkgrove.console.app import create_app
    from sparkgrove.console.server import serve_console

__all__ = ["console_link", "create_app", "serve_console"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from sparkgrove.console.app import create_app

        return create_app
    if name == "serve_console":
        from sparkgrove.console.server import serve_console

        return serve_console
    raise AttributeError(f"module 'sparkgrove.console' has no attribute {name!r}")
