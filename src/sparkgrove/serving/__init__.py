"""Predictions as a service: the registry's models over HTTP, in-process, with no JVM.

``sparkgrove serve`` runs :func:`serve`; tests and embedders build the ASGI app with
:func:`build_app` (or :func:`create_app` over their own :class:`ServedModels`).
"""

from __future__ import annotations

from sparkgrove.serving.app import ServeOptions, create_app
from sparkgrove.serving.auth import ensure_token, token_file
from sparkgrove.serving.served import Reference, ServedModels
from sparkgrove.serving.server import ServeConfig, build_app, serve

__all__ = ["Reference", "ServeConfig", "ServeOptions", "ServedModels", "build_app", "create_app",
           "ensure_token", "serve", "token_file"]
