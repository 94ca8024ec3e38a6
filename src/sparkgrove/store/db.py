"""Opening the store's database and bringing its schema up to date with ordered migrations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from sparkgrove.errors import ConfigError
from sparkgrove.locks import file_lock

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
LEGACY_REVISIONS = {1: "0001", 2: "0002", 3: "0003", 4: "0004"}
"""The Alembic revision matching each migration number of the hand-written migrations that
databases made before Alembic record in ``schema_migrations``."""


MIGRATION_LOCK = 0x5370_6772_6F76  # "Spgrov": the advisory lock key of migrations


def utcnow() -> dt.datetime:
    """The current time in UTC, as stored."""
    return dt.datetime.now(dt.UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # The driver's own transaction handling is off; `_sqlite_begin` starts each transaction.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # BEGIN IMMEDIATE takes the write lock when the transaction starts, so two processes that
    # read then write queue on the busy timeout instead of one failing at its first write
    # (a deferred transaction cannot wait for a lock it would deadlock on); readers in WAL mode
    # are never blocked.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


@dataclass
class Database:
    """A connection pool to the store's database, migrated to the current schema."""

    engine: Engine
    url: str

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction: committed when the block ends, rolled back on error."""
        with self.engine.begin() as conn:
            yield conn

    def schema_version(self) -> str | None:
        """The database's schema revision (``None`` for an empty database)."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def migrate(self) -> list[str]:
        """Apply the revisions not yet applied; return their ids.

        Several processes may open a new workspace at once: migrations run under a lock (a
        file lock beside a SQLite database, an advisory lock in PostgreSQL), and each process
        applies only what is still missing once it holds it. A database made by a newer
        sparkgrove (a revision this one does not know) is refused, never changed.
        """
        script = _script()
        head = script.get_current_head()
        if self.schema_version() == head:
            return []
        with self._migration_lock(), self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            return _upgrade(conn, script)

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        if self.engine.dialect.name != "sqlite" or not self.engine.url.database or \
                self.engine.url.database == ":memory:":
            yield  # PostgreSQL takes its advisory lock inside the migration's transaction
            return
        with file_lock(Path(self.engine.url.database + ".migrate.lock")):
            yield

    def table_names(self) -> list[str]:
        """Names of the tables in the database (for diagnostics and tests)."""
        return sorted(inspect(self.engine).get_table_names())

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()


def _script() -> Any:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def _upgrade(conn: Connection, script: Any, target: str | None = None) -> list[str]:
    """Bring the database on ``conn`` to revision ``target`` (default: the newest); return the
    revisions applied."""
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(conn)
    current = context.get_current_revision() or _legacy_revision(conn)
    known = [r.revision for r in script.walk_revisions()]  # newest first
    if current is not None and current not in known:
        raise ConfigError(
            f"The catalog database {conn.engine.url!r} has schema revision {current!r}, made by "
            "a newer sparkgrove than this one; upgrade sparkgrove to open it.")
    pending = list(reversed(known[:known.index(current)] if current else known))
    if target is not None:
        pending = pending[:pending.index(target) + 1]
    if current is not None and context.get_current_revision() is None:
        context.stamp(script, current)  # adopt a database migrated before Alembic
    with Operations.context(context):
        for revision in pending:
            script.get_revision(revision).module.upgrade()
            context.stamp(script, revision)
    return pending


def _legacy_revision(conn: Connection) -> str | None:
    """The revision of a database migrated by the hand-written migrations before Alembic."""
    if not inspect(conn).has_table("schema_migrations"):
        return None
    done = conn.execute(text("SELECT MAX(version) FROM schema_migrations")).scalar()
    return LEGACY_REVISIONS.get(int(done)) if done else None


def open_database(url: str) -> Database:
    """Open (and migrate) the store at ``url``: ``sqlite:///path`` or ``postgresql://...``."""
    try:
        engine = create_engine(url, future=True)
    except (SQLAlchemyError, ValueError) as exc:
        raise ConfigError(
            f"The catalog URL {url!r} cannot be used ({exc}); use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DB."
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        if engine.url.database and engine.url.database != ":memory:":
            Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    database = Database(engine=engine, url=url)
    try:
        database.migrate()
    except ConfigError:
        engine.dispose()
        raise
    except SQLAlchemyError as exc:
        raise ConfigError(f"Could not open the catalog database at {url}: {exc}") from exc
    return database
