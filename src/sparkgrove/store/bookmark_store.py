"""Job bookmark records: which files each ``transformation_ctx`` of a job has processed (the
options that read and advance them are in :mod:`sparkgrove.etl.bookmarks`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update

from sparkgrove.store import schema as s
from sparkgrove.store.db import Database, utcnow


class BookmarkStore:
    """Bookmark states per (job, transformation_ctx)."""

    def __init__(self, database: Database) -> None:
        self.db = database

    def processed(self, job: str, ctx: str) -> dict[str, float]:
        """Files (path -> mtime) committed for ``ctx`` of ``job``."""
        with self.db.begin() as conn:
            row = conn.execute(select(s.bookmarks.c.state).where(
                s.bookmarks.c.job == job, s.bookmarks.c.ctx == ctx)).first()
        return dict(row.state.get("files", {})) if row else {}

    def commit(self, job: str, updates: dict[str, dict[str, float]], run_id: int | None) -> None:
        """Add newly processed files of each ctx, in one transaction."""
        now = utcnow()
        with self.db.begin() as conn:
            for ctx, files in updates.items():
                row = conn.execute(select(s.bookmarks).where(
                    s.bookmarks.c.job == job, s.bookmarks.c.ctx == ctx)).first()
                if row is None:
                    conn.execute(insert(s.bookmarks).values(
                        job=job, ctx=ctx, state={"files": files}, run_id=run_id,
                        updated_at=now))
                else:
                    merged = {**row.state.get("files", {}), **files}
                    conn.execute(update(s.bookmarks).where(s.bookmarks.c.id == row.id).values(
                        state={"files": merged}, run_id=run_id, updated_at=now))

    def show(self, job: str) -> list[dict[str, Any]]:
        """Every ctx of a job with its processed files."""
        with self.db.begin() as conn:
            rows = conn.execute(select(s.bookmarks).where(s.bookmarks.c.job == job).order_by(
                s.bookmarks.c.ctx)).all()
        return [{"job": r.job, "transformation_ctx": r.ctx, "files": sorted(r.state["files"]),
                 "run_id": r.run_id, "updated_at": r.updated_at.isoformat()} for r in rows]

    def reset(self, job: str) -> int:
        """Forget a job's bookmarks; return how many contexts were reset."""
        with self.db.begin() as conn:
            return int(conn.execute(delete(s.bookmarks).where(s.bookmarks.c.job == job)
                                    ).rowcount)
