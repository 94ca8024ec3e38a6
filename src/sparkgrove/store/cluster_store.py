"""Cluster records: state, URLs, the spec as given, and the processes started for it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, insert, select, update

from sparkgrove.errors import NotFoundError, suggest
from sparkgrove.store import schema as s
from sparkgrove.store.db import Database, utcnow
from sparkgrove.store.states import ClusterState


@dataclass(frozen=True)
class ClusterRecord:
    """A cluster's record; ``spec`` is the cluster spec's dict form."""

    name: str
    state: ClusterState
    master_url: str
    web_url: str
    spec: dict[str, Any]
    processes: list[dict[str, Any]]
    message: str
    created_at: dt.datetime
    updated_at: dt.datetime


def _record(row: Row[Any]) -> ClusterRecord:
    return ClusterRecord(row.name, ClusterState(row.state), row.master_url, row.web_url,
                         dict(row.spec), list(row.processes), row.message, row.created_at,
                         row.updated_at)


class ClusterStore:
    """Cluster records; each public method is one transaction."""

    def __init__(self, database: Database) -> None:
        self.db = database

    def get(self, name: str) -> ClusterRecord:
        """The record of cluster ``name``."""
        with self.db.begin() as conn:
            row = conn.execute(select(s.clusters).where(s.clusters.c.name == name)).first()
            if row is None:
                names = conn.execute(select(s.clusters.c.name)).scalars().all()
                raise NotFoundError(f"Unknown cluster {name!r}: {suggest(name, names, 'clusters')}.")
        return _record(row)

    def all(self) -> list[ClusterRecord]:
        """Every cluster record, newest first."""
        with self.db.begin() as conn:
            rows = conn.execute(select(s.clusters).order_by(s.clusters.c.created_at.desc())).all()
        return [_record(r) for r in rows]

    def save(self, name: str, *, state: ClusterState, master_url: str, web_url: str,
             spec: dict[str, Any], processes: list[dict[str, Any]], message: str) -> None:
        """Create or replace the record of cluster ``name``."""
        now = utcnow()
        values = {"state": state, "master_url": master_url, "web_url": web_url, "spec": spec,
                  "processes": processes, "message": message, "updated_at": now}
        with self.db.begin() as conn:
            found = conn.execute(select(s.clusters.c.id).where(s.clusters.c.name == name)).scalar()
            if found is None:
                conn.execute(insert(s.clusters).values(name=name, created_at=now, **values))
            else:
                conn.execute(update(s.clusters).where(s.clusters.c.id == found).values(**values))

    def set_state(self, name: str, state: ClusterState, message: str) -> None:
        """Change a cluster's state and message."""
        with self.db.begin() as conn:
            conn.execute(update(s.clusters).where(s.clusters.c.name == name).values(
                state=state, message=message, updated_at=utcnow()))
