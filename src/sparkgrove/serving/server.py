"""Running the serving app: settings in, a uvicorn server (one process or several) out."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sparkgrove.errors import ConfigError
from sparkgrove.processes import children_environment
from sparkgrove.serving.app import DEFAULT_MAX_BODY_BYTES, ServeOptions, create_app
from sparkgrove.serving.auth import check_exposure, ensure_token
from sparkgrove.serving.middleware import ServingMiddleware
from sparkgrove.serving.served import DEFAULT_MAX_ROWS, DEFAULT_POLL_SECONDS, ServedModels
from sparkgrove.settings import Settings, load_settings

CONFIG_ENV = "SPARKGROVE_SERVE_CONFIG"
"""How the parent hands its configuration to uvicorn's worker processes."""
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


@dataclass(frozen=True)
class ServeConfig:
    """Everything a serving process needs: the workspace, the models and the limits."""

    workspace: str
    catalog_url: str
    references: tuple[str, ...] = ()
    auth: bool = True
    max_rows: int = DEFAULT_MAX_ROWS
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    poll_seconds: float = DEFAULT_POLL_SECONDS
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = 1

    def __post_init__(self) -> None:
        for name, value, low in (("--max-rows", self.max_rows, 1), ("--workers", self.workers, 1),
                                 ("--max-body-mb", self.max_body_bytes, 1),
                                 ("--port", self.port, 0)):
            if value < low:
                raise ConfigError(f"{name} must be at least {low}; got {value}.")
        if self.port > 65535:
            raise ConfigError(f"--port must be at most 65535; got {self.port}.")
        check_exposure(self.host, self.auth)

    @classmethod
    def of(cls, settings: Settings, references: Sequence[str] = (), **options: object
           ) -> ServeConfig:
        """The configuration for ``settings``' workspace."""
        return cls(workspace=str(settings.workspace), catalog_url=settings.catalog_url,
                   references=tuple(references), **options)  # type: ignore[arg-type]

    def settings(self) -> Settings:
        """The workspace settings."""
        return load_settings(workspace=self.workspace, catalog_url=self.catalog_url)


def build_app(config: ServeConfig) -> ServingMiddleware:
    """The app for ``config``: the registry opened, the models loaded, the token read."""
    from sparkgrove.registry import Registry
    from sparkgrove.store.db import open_database

    settings = config.settings()
    token = ensure_token(settings) if config.auth else None
    database = open_database(settings.catalog_url)
    try:
        models = ServedModels(Registry(settings, database), config.references,
                              max_rows=config.max_rows, poll_seconds=config.poll_seconds)
    except BaseException:
        database.close()
        raise
    return create_app(models, ServeOptions(token=token, max_body_bytes=config.max_body_bytes),
                      on_shutdown=database.close)


def _check(config: ServeConfig) -> None:
    from sparkgrove.registry import Registry
    from sparkgrove.store.db import open_database

    settings = config.settings()
    database = open_database(settings.catalog_url)
    try:
        ServedModels(Registry(settings, database), config.references, max_rows=config.max_rows)
    finally:
        database.close()


def app_from_environment() -> ServingMiddleware:
    """uvicorn's factory in each worker process."""
    return build_app(ServeConfig(**{**json.loads(os.environ[CONFIG_ENV])}))


def serve(config: ServeConfig) -> None:
    """Serve until interrupted."""
    import uvicorn

    if config.workers == 1:
        app = build_app(config)
        uvicorn.run(app, host=config.host, port=config.port, log_level="warning",
                    access_log=False, server_header=False)
        return
    _check(config)  # fail here, once, on an unknown model or a bad setting
    data = asdict(config)
    data["references"] = list(config.references)
    with children_environment({CONFIG_ENV: json.dumps(data)}):
        uvicorn.run("sparkgrove.serving.server:app_from_environment", factory=True,
                    host=config.host, port=config.port, workers=config.workers,
                    log_level="warning", access_log=False, server_header=False)
