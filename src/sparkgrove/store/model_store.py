"""The registry's records: named models and their versions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from sparkgrove.errors import AlreadyExistsError, NotFoundError, suggest
from sparkgrove.store import schema as s
from sparkgrove.store.db import Database, utcnow
from sparkgrove.store.entities import ModelVersion


def _entity(name: str, row: Row[Any]) -> ModelVersion:
    return ModelVersion(
        name=name, version=row.version, engine=row.engine, task=row.task,
        params=dict(row.params), metrics=dict(row.metrics), lineage=dict(row.lineage),
        artifact_path=row.artifact_path, created_at=row.created_at,
    )


class ModelStore:
    """Reads and writes model versions; each public method is one transaction."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def next_version(self, name: str) -> int:
        """The version number the next registration of ``name`` will get."""
        with self._db.begin() as conn:
            current = conn.execute(
                select(func.max(s.model_versions.c.version)).join(
                    s.models, s.models.c.id == s.model_versions.c.model_id
                ).where(s.models.c.name == name)
            ).scalar()
        return int(current or 0) + 1

    def add_version(self, name: str, version: int, *, engine: str, task: str,
                    params: dict[str, Any], metrics: dict[str, Any], lineage: dict[str, Any],
                    artifact_path: str) -> ModelVersion:
        """Record version ``version`` of model ``name`` (creating the model on first use)."""
        now = utcnow()
        try:
            with self._db.begin() as conn:
                model_id = conn.execute(
                    select(s.models.c.id).where(s.models.c.name == name)).scalar()
                if model_id is None:
                    model_id = conn.execute(insert(s.models).values(
                        name=name, created_at=now)).inserted_primary_key[0]  # type: ignore[index]
                conn.execute(insert(s.model_versions).values(
                    model_id=model_id, version=version, engine=engine, task=task, params=params,
                    metrics=metrics, lineage=lineage, artifact_path=artifact_path,
                    created_at=now))
        except IntegrityError as exc:
            raise AlreadyExistsError(
                f"Model {name} version {version} was registered by another run at the same "
                "time; train again to get the next version."
            ) from exc
        return self.get(name, version)

    def list_models(self) -> list[ModelVersion]:
        """The newest version of every model, by name."""
        with self._db.begin() as conn:
            newest = select(s.model_versions.c.model_id,
                            func.max(s.model_versions.c.version).label("v")).group_by(
                s.model_versions.c.model_id).subquery()
            rows = conn.execute(
                select(s.model_versions, s.models.c.name.label("model_name"))
                .join(s.models, s.models.c.id == s.model_versions.c.model_id)
                .join(newest, (newest.c.model_id == s.model_versions.c.model_id)
                      & (newest.c.v == s.model_versions.c.version))
                .order_by(s.models.c.name)
            ).all()
        return [_entity(r.model_name, r) for r in rows]

    def versions(self, name: str) -> list[ModelVersion]:
        """Every version of model ``name``, oldest first."""
        with self._db.begin() as conn:
            self._model_id(conn, name)
            rows = conn.execute(
                select(s.model_versions).join(
                    s.models, s.models.c.id == s.model_versions.c.model_id
                ).where(s.models.c.name == name).order_by(s.model_versions.c.version)
            ).all()
        return [_entity(name, r) for r in rows]

    def _model_id(self, conn: Any, name: str) -> int:
        found = conn.execute(select(s.models.c.id).where(s.models.c.name == name)).scalar()
        if found is None:
            names = conn.execute(select(s.models.c.name)).scalars().all()
            raise NotFoundError(f"Unknown model {name!r}: {suggest(name, names, 'models')}.")
        return int(found)

    def get(self, name: str, version: int | None = None) -> ModelVersion:
        """Version ``version`` of model ``name``, or its newest version."""
        with self._db.begin() as conn:
            model_id = self._model_id(conn, name)
            query = select(s.model_versions).where(s.model_versions.c.model_id == model_id)
            if version is None:
                query = query.order_by(s.model_versions.c.version.desc()).limit(1)
            else:  # a number beyond any version is simply not one (and not a driver error)
                query = query.where(s.model_versions.c.version == min(version, 2**62))
            row = conn.execute(query).first()
            if row is None:
                known = conn.execute(select(s.model_versions.c.version).where(
                    s.model_versions.c.model_id == model_id)).scalars().all()
                raise NotFoundError(
                    f"Model {name} has no version {version}; versions: "
                    f"{', '.join(str(v) for v in sorted(known))}."
                )
        return _entity(name, row)

    def set_alias(self, name: str, alias: str, version: int) -> None:
        """Point ``alias`` of model ``name`` at ``version`` (which must exist), moving it if it
        pointed elsewhere: one statement, so a reader sees the old version or the new one."""
        now = utcnow()
        with self._db.begin() as conn:
            model_id = self._model_id(conn, name)
            exists = conn.execute(select(s.model_versions.c.id).where(
                s.model_versions.c.model_id == model_id,
                s.model_versions.c.version == min(version, 2**62))).first()
            if exists is None:
                raise NotFoundError(f"Model {name} has no version {version}; `sparkgrove models "
                                    f"show {name}` lists its versions.")
            moved = conn.execute(update(s.model_aliases).where(
                s.model_aliases.c.model_id == model_id, s.model_aliases.c.alias == alias
            ).values(version=version, updated_at=now)).rowcount
            if not moved:
                conn.execute(insert(s.model_aliases).values(
                    model_id=model_id, alias=alias, version=version, updated_at=now))

    def delete_alias(self, name: str, alias: str) -> None:
        """Remove ``alias`` of model ``name``."""
        with self._db.begin() as conn:
            model_id = self._model_id(conn, name)
            gone = conn.execute(delete(s.model_aliases).where(
                s.model_aliases.c.model_id == model_id, s.model_aliases.c.alias == alias)
            ).rowcount
        if not gone:
            raise NotFoundError(f"Model {name} has no alias {alias!r}.")

    def aliases(self, name: str) -> dict[str, int]:
        """The aliases of model ``name`` and the versions they point at."""
        with self._db.begin() as conn:
            model_id = self._model_id(conn, name)
            rows = conn.execute(select(s.model_aliases.c.alias, s.model_aliases.c.version).where(
                s.model_aliases.c.model_id == model_id).order_by(s.model_aliases.c.alias)).all()
        return {r.alias: int(r.version) for r in rows}

    def version_of_alias(self, name: str, alias: str) -> int:
        """The version ``alias`` of model ``name`` points at."""
        found = self.aliases(name)
        if alias not in found:
            known = ", ".join(sorted(found)) or "none yet"
            raise NotFoundError(f"Model {name} has no alias {alias!r}; its aliases: {known}. "
                                f"Set one with `sparkgrove models alias {name} {alias} VERSION`.")
        return found[alias]

