"""The catalog suite runs on both back ends of the store: SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparkgrove.settings import Settings, load_settings


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Settings for a workspace in a temporary folder, its catalog on each back end."""
    return load_settings(workspace=tmp_path / "ws", catalog_url=db_url,
                         spark_master="local[2]", environ={}, cwd=tmp_path)
