"""The model registry: named, versioned models with their artifacts, metrics and lineage.

A version's artifacts live in ``<workspace>/models/<name>/<version>/``: ``tree_model.json`` (the
portable model), ``mllib/`` (the MLlib pipeline in Spark's own format, for the Spark engine) and
``version.json``. They are written to a staging folder and renamed into place before the
version is recorded, so a failed registration leaves neither files nor records behind.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

from sparkgrove.errors import ConfigError
from sparkgrove.names import check_model_name
from sparkgrove.settings import Settings
from sparkgrove.store.db import Database
from sparkgrove.store.entities import ModelVersion
from sparkgrove.store.model_store import ModelStore
from sparkgrove.trees.model import TreeModel

TREE_MODEL_FILE = "tree_model.json"
MLLIB_DIR = "mllib"
VERSION_FILE = "version.json"


def parse_model_ref(ref: str) -> tuple[str, int | None]:
    """Split ``NAME[:VERSION]``."""
    name, sep, version = ref.partition(":")
    check_model_name(name)
    if not sep:
        return name, None
    if not (version.isascii() and version.isdigit()) or int(version) < 1:
        raise ConfigError(f"The model version in {ref!r} must be a positive whole number, "
                          "as in mymodel:3.")
    return name, int(version)


class Registry:
    """Registers and finds model versions of one workspace."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.store = ModelStore(database)

    def register(self, name: str, *, engine: str, task: str, params: dict[str, Any],
                 metrics: dict[str, Any], lineage: dict[str, Any], tree_model: TreeModel,
                 mllib_dir: Path | None = None) -> ModelVersion:
        """Store a new version of model ``name``: artifacts first, then the record."""
        check_model_name(name)
        version = self.store.next_version(name)
        staging = self.settings.staging / f"model-{uuid.uuid4().hex}"
        staging.mkdir(parents=True)
        try:
            tree_model.save(staging / TREE_MODEL_FILE)
            if mllib_dir is not None:
                shutil.move(str(mllib_dir), staging / MLLIB_DIR)
            (staging / VERSION_FILE).write_text(json.dumps({
                "name": name, "version": version, "engine": engine, "task": task,
                "params": params, "metrics": metrics, "lineage": lineage}, indent=2, default=str))
            final = self.settings.models_dir / name / str(version)
            final.parent.mkdir(parents=True, exist_ok=True)
            staging.rename(final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        try:
            return self.store.add_version(name, version, engine=engine, task=task, params=params,
                                          metrics=metrics, lineage=lineage,
                                          artifact_path=str(final))
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)
            raise

    def get(self, ref: str) -> ModelVersion:
        """The version named by ``NAME[:VERSION]`` (the newest when no version is given)."""
        name, version = parse_model_ref(ref)
        return self.store.get(name, version)

    def list_models(self) -> list[ModelVersion]:
        """The newest version of every model."""
        return self.store.list_models()

    def versions(self, name: str) -> list[ModelVersion]:
        """Every version of ``name``."""
        return self.store.versions(check_model_name(name))

    def load_tree_model(self, version: ModelVersion) -> TreeModel:
        """The portable model of a version."""
        return TreeModel.load(Path(version.artifact_path) / TREE_MODEL_FILE)

    def mllib_path(self, version: ModelVersion) -> Path | None:
        """The saved MLlib pipeline of a version, if it has one."""
        path = Path(version.artifact_path) / MLLIB_DIR
        return path if path.exists() else None
