"""Shared fixtures: one local[2] Spark session for the whole run, and a fresh workspace per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sparkgrove.settings import Settings, load_settings
from sparkgrove.workspace import Workspace
from tests.postgres import PostgresServer

TEST_SPARK_CONF = {
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
}


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The one Spark session of the test run (local[2], lean settings)."""
    from sparkgrove.spark import build_session

    base = tmp_path_factory.mktemp("spark")
    settings = load_settings(workspace=base, spark_master="local[2]", environ={}, cwd=base)
    session = build_session(settings, app_name="sparkgrove-tests", conf=TEST_SPARK_CONF)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the run, started on first use."""
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store database: a SQLite file, then a PostgreSQL database (the test runs on
    both)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a workspace in a temporary folder."""
    return load_settings(workspace=tmp_path / "ws", spark_master="local[2]", environ={},
                         cwd=tmp_path)


@pytest.fixture
def workspace(settings: Settings) -> Iterator[Workspace]:
    """A fresh workspace (its Spark session is the shared one, started on first use)."""
    ws = Workspace(settings)
    yield ws
    ws.close()


@pytest.fixture
def spark_workspace(workspace: Workspace, spark: object) -> Workspace:
    """A fresh workspace whose Spark session is already running."""
    return workspace
