"""The web console: tables, jobs, models and clusters at a glance (FastAPI + Jinja2).

``sparkgrove console`` serves it on 127.0.0.1:8765 with a token, as JupyterLab does. Pages are
rendered on the server and work without JavaScript (except the tree's pan and zoom); actions are
POSTs that carry a CSRF field and are refused from other origins.
"""

from sparkgrove.console.app import create_app
from sparkgrove.console.links import console_link
from sparkgrove.console.server import serve_console

__all__ = ["console_link", "create_app", "serve_console"]
