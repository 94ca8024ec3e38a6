"""Publishing a run's staged writes as one switch that a kill cannot leave half done.

A publish first writes its whole plan (every file move, every catalog entry, the bookmark
updates) to a journal file, atomically; then it carries the plan out and deletes the journal.
Each step can be repeated without effect: a move whose source is gone is done, a catalog entry
carries the plan's id so it is not counted twice, bookmarks merge. A run killed during its
publish leaves its journal behind, and the next ``etl run`` (or :func:`recover`) finishes it
before anything reads, so the target ends exactly as the finished run would have left it and a
bookmarked rerun never writes the same rows again.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sparkgrove.faults import crash_point
from sparkgrove.locks import file_lock
from sparkgrove.store.catalog_store import TableWrite
from sparkgrove.store.entities import ColumnSpec
from sparkgrove.store.run_store import RunStore
from sparkgrove.store.states import RunState
from sparkgrove.workspace import Workspace

JOURNAL = "journal"


@dataclass
class TablePlan:
    """The catalog entry a write makes."""

    database: str
    name: str
    location: str
    format: str
    columns: list[list[str]]
    partition_keys: list[str]
    rows: int


@dataclass
class Plan:
    """Everything one publish does."""

    id: str
    job: str
    run_id: int | None
    moves: list[list[str]] = field(default_factory=list)
    tables: list[TablePlan] = field(default_factory=list)
    bookmarks: dict[str, dict[str, float]] = field(default_factory=dict)
    staging: list[str] = field(default_factory=list)

    @classmethod
    def new(cls, job: str, run_id: int | None) -> Plan:
        """An empty plan with a fresh id."""
        return cls(id=uuid.uuid4().hex, job=job, run_id=run_id)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        """Read what :func:`write_journal` wrote."""
        return cls(id=data["id"], job=data["job"], run_id=data.get("run_id"),
                   moves=[list(m) for m in data["moves"]],
                   tables=[TablePlan(**t) for t in data["tables"]],
                   bookmarks=dict(data["bookmarks"]), staging=list(data["staging"]))


def journal_dir(workspace: Workspace) -> Path:
    """Where pending publishes are journaled."""
    return workspace.settings.staging / JOURNAL


def write_journal(workspace: Workspace, plan: Plan) -> Path:
    """Write ``plan`` durably and atomically; return its journal file."""
    folder = journal_dir(workspace)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"publish-{plan.id}.json"
    tmp = folder / f".publish-{plan.id}.tmp"
    with tmp.open("w", encoding="utf-8") as out:
        json.dump(asdict(plan), out)
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(target)
    return target


def publish_lock(workspace: Workspace) -> Path:
    """The lock file that one publish (or recovery) at a time holds in a workspace."""
    return journal_dir(workspace) / ".lock"


def publish(workspace: Workspace, plan: Plan) -> None:
    """Journal ``plan`` and carry it out, holding the workspace's publish lock."""
    with file_lock(publish_lock(workspace)):
        carry_out(workspace, plan, write_journal(workspace, plan))


def carry_out(workspace: Workspace, plan: Plan, journal: Path) -> None:
    """Do every step of ``plan`` (each safe to repeat), then drop its journal.

    The caller holds :func:`publish_lock`, so a recovery in another process never carries out
    a journal whose publish is still running.
    """
    from sparkgrove.store.bookmark_store import BookmarkStore

    for source, dest in plan.moves:
        if Path(source).exists():
            Path(dest).parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, dest)
        crash_point("publish.move")
    for table in plan.tables:
        _register(workspace, table, plan.id)
    crash_point("publish.catalog")
    if plan.bookmarks:
        BookmarkStore(workspace.catalog.database).commit(plan.job, plan.bookmarks, plan.run_id)
    for folder in plan.staging:
        shutil.rmtree(folder, ignore_errors=True)
    journal.unlink(missing_ok=True)


def recover(workspace: Workspace) -> list[str]:
    """Finish the publishes of runs killed during them; return their plan ids."""
    folder = journal_dir(workspace)
    done: list[str] = []
    if not folder.is_dir() or not any(folder.glob("publish-*.json")):
        return done
    with file_lock(publish_lock(workspace)):
        # Under the lock, a journal left is one whose publisher died (a live one holds it).
        for journal in sorted(folder.glob("publish-*.json")):
            plan = Plan.from_dict(json.loads(journal.read_text(encoding="utf-8")))
            carry_out(workspace, plan, journal)
            if plan.run_id is not None:
                RunStore(workspace.catalog.database).finish(
                    plan.run_id, RunState.SUCCEEDED,
                    "published on recovery: the run was stopped during its publish")
            done.append(plan.id)
    return done


def _register(workspace: Workspace, table: TablePlan, plan_id: str) -> None:
    catalog = workspace.catalog
    catalog.create_database(table.database)
    existing = (catalog.table(f"{table.database}.{table.name}")
                if catalog.has_table(f"{table.database}.{table.name}") else None)
    if existing is not None and existing.properties.get("lastPublish") == plan_id:
        return  # this plan's entry is in already
    keys = table.partition_keys
    columns = tuple(ColumnSpec(n, t) for n, t in table.columns)
    data_columns = tuple(c for c in columns if c.name not in keys)
    key_columns = tuple(c for c in columns if c.name in keys)
    target = Path(table.location)
    partitions = []
    if keys:
        for folder in sorted({p.parent for p in target.rglob("*.*")
                              if not p.name.startswith((".", "_"))}):
            rel = folder.relative_to(target).parts
            if len(rel) == len(keys):
                partitions.append((tuple(part.split("=", 1)[1] for part in rel), str(folder)))
    records = table.rows + (int(existing.properties.get("recordCount", 0)) if existing else 0)
    catalog.save_table(TableWrite(
        database=table.database, name=table.name, location=table.location,
        format=table.format, columns=data_columns, partition_keys=key_columns,
        properties={"classification": table.format, "recordCount": str(records),
                    "lastPublish": plan_id},
        partitions=tuple(partitions)))
