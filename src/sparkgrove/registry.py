"""The model registry: named, versioned models with their artifacts, metrics and lineage.

A version's artifacts live in ``<workspace>/models/<name>/<version>/``: ``tree_model.json`` (the
portable model), ``mllib/`` (the MLlib pipeline in Spark's own format, for the Spark engine) and
``version.json``. They are written to a staging folder and renamed into place before the
version is recorded, so a failed registration leaves neither files nor records behind.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from sparkgrove.errors import AlreadyExistsError, ConfigError
from sparkgrove.names import check_alias, check_model_name
from sparkgrove.settings import Settings
from sparkgrove.staging import put_in_place, staged
from sparkgrove.store.db import Database
from sparkgrove.store.entities import ModelVersion
from sparkgrove.store.model_store import ModelStore
from sparkgrove.trees.model import TreeModel

TREE_MODEL_FILE = "tree_model.json"
MLLIB_DIR = "mllib"
VERSION_FILE = "version.json"
REGISTER_ATTEMPTS = 5
"""Tries at a version number when other processes register the same model at once."""
ORPHAN_AGE = 600
"""Seconds after which an artifact folder that no version references is removed."""


def parse_model_ref(ref: str) -> tuple[str, int | None]:
    """Split ``NAME[:VERSION]`` (see :meth:`Registry.get` for ``NAME@ALIAS``)."""
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
        """Store a new version of model ``name``: artifacts first, then the record.

        The artifacts get a folder of their own, so a kill between their rename and the record
        leaves an unreferenced folder (swept by a later registration), never one that blocks a
        version; a version number taken by another process meanwhile is retried with the next.
        """
        check_model_name(name)
        version = self.store.next_version(name)
        record = {"name": name, "version": version, "engine": engine, "task": task,
                  "params": params, "metrics": metrics, "lineage": lineage}
        final = self.settings.models_dir / name / f"{version}-{uuid.uuid4().hex[:8]}"
        with staged(self.settings.staging, "model") as staging:
            tree_model.save(staging / TREE_MODEL_FILE)
            if mllib_dir is not None:
                shutil.move(str(mllib_dir), staging / MLLIB_DIR)
            (staging / VERSION_FILE).write_text(json.dumps(record, indent=2, default=str))
            put_in_place(staging, final)
        try:
            for attempt in range(REGISTER_ATTEMPTS):
                try:
                    return self.store.add_version(
                        name, version, engine=engine, task=task, params=params,
                        metrics=metrics, lineage=lineage, artifact_path=str(final))
                except AlreadyExistsError:  # another process took this number first
                    if attempt == REGISTER_ATTEMPTS - 1:
                        raise
                    version = self.store.next_version(name)
                    moved = final.with_name(f"{version}-{uuid.uuid4().hex[:8]}")
                    final.rename(moved)
                    final = moved
                    (final / VERSION_FILE).write_text(json.dumps(
                        {**record, "version": version}, indent=2, default=str))
            raise AssertionError("unreachable")
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)
            raise
        finally:
            self._sweep_orphans(name)

    def _sweep_orphans(self, name: str) -> None:
        """Remove artifact folders of ``name`` that no version references and that are older
        than a registration could take (left by a process killed before its record)."""
        folder = self.settings.models_dir / name
        if not folder.is_dir():
            return
        referenced = {Path(v.artifact_path).name for v in self.store.versions(name)}
        for child in folder.iterdir():
            try:
                old = time.time() - child.stat().st_mtime > ORPHAN_AGE
            except OSError:
                continue
            if child.is_dir() and child.name not in referenced and old:
                shutil.rmtree(child, ignore_errors=True)

    def get(self, ref: str) -> ModelVersion:
        """The version named by ``NAME[:VERSION]`` (the newest when no version is given) or
        ``NAME@ALIAS`` (the version the alias points at now)."""
        if "@" in ref:
            name, _, alias = ref.partition("@")
            check_model_name(name)
            return self.store.get(name, self.store.version_of_alias(name, check_alias(alias)))
        name, version = parse_model_ref(ref)
        return self.store.get(name, version)

    def set_alias(self, name: str, alias: str, version: int) -> None:
        """Point ``alias`` of model ``name`` at ``version`` (moving it if it exists)."""
        self.store.set_alias(check_model_name(name), check_alias(alias), version)

    def delete_alias(self, name: str, alias: str) -> None:
        """Remove ``alias`` of model ``name``."""
        self.store.delete_alias(check_model_name(name), check_alias(alias))

    def aliases(self, name: str) -> dict[str, int]:
        """The aliases of model ``name`` and the versions they point at."""
        return self.store.aliases(check_model_name(name))

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


def load_model(ref: str, settings: Settings | None = None) -> TreeModel:
    """The portable model named ``NAME``, ``NAME:VERSION`` or ``NAME@ALIAS`` in the workspace
    of ``settings`` (resolved from the environment when omitted): it predicts with numpy alone,
    matching a pandas frame's columns by name."""
    from sparkgrove.settings import load_settings
    from sparkgrove.store.db import open_database

    settings = settings or load_settings()
    database = open_database(settings.catalog_url)
    try:
        registry = Registry(settings, database)
        return registry.load_tree_model(registry.get(ref))
    finally:
        database.close()
