"""Opening the store's database and bringing its schema up to date with ordered migrations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from sparkgrove.errors import ConfigError
from sparkgrove.locks import file_lock
from sparkgrove.store import schema

Migration = Callable[[Connection], None]


def _initial(conn: Connection) -> None:
    names = ["databases", "tables", "table_versions", "partitions", "table_files", "models",
             "model_versions"]
    schema.metadata.create_all(conn, tables=[schema.metadata.tables[n] for n in names])


def _clusters(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=[schema.clusters, schema.steps])


def _etl(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=[schema.bookmarks, schema.etl_runs])


def _step_spark_args(conn: Connection) -> None:
    # Databases whose steps table was made by migration 2 from today's schema have it already.
    if "spark_args" not in {c["name"] for c in inspect(conn).get_columns("steps")}:
        conn.execute(text("ALTER TABLE steps ADD COLUMN spark_args JSON NOT NULL DEFAULT '[]'"))


# Append new migrations; never edit or reorder the ones that shipped.
MIGRATIONS: tuple[tuple[int, str, Migration], ...] = (
    (1, "initial catalog and registry", _initial),
    (2, "clusters and steps", _clusters),
    (3, "etl bookmarks and runs", _etl),
    (4, "spark-submit options of steps", _step_spark_args),
)


MIGRATION_LOCK = 0x5370_6772_6F76  # "Spgrov": the advisory lock key of migrations


def utcnow() -> dt.datetime:
    """The current time in UTC, as stored."""
    return dt.datetime.now(dt.UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


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

    def schema_version(self) -> int:
        """The newest applied migration."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(schema.schema_migrations.c.version)).scalars().all()
        return max(rows, default=0)

    def migrate(self) -> list[int]:
        """Apply the migrations not yet applied; return their numbers.

        Several processes may open a new workspace at once: migrations run under a lock (a
        file lock beside a SQLite database, an advisory lock in PostgreSQL), and each process
        applies only what is still missing once it holds it.
        """
        with self._migration_lock():
            return self._migrate()

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        if self.engine.dialect.name != "sqlite" or not self.engine.url.database or \
                self.engine.url.database == ":memory:":
            yield  # PostgreSQL takes its advisory lock inside the migration's transaction
            return
        with file_lock(Path(self.engine.url.database + ".migrate.lock")):
            yield

    def _migrate(self) -> list[int]:
        applied: list[int] = []
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            schema.schema_migrations.create(conn, checkfirst=True)
            done = set(conn.execute(select(schema.schema_migrations.c.version)).scalars())
            for number, name, step in MIGRATIONS:
                if number in done:
                    continue
                step(conn)
                conn.execute(insert(schema.schema_migrations).values(
                    version=number, name=name, applied_at=utcnow()))
                applied.append(number)
        return applied

    def table_names(self) -> list[str]:
        """Names of the tables in the database (for diagnostics and tests)."""
        return sorted(inspect(self.engine).get_table_names())

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()


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
        if engine.url.database and engine.url.database != ":memory:":
            Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    database = Database(engine=engine, url=url)
    try:
        database.migrate()
    except SQLAlchemyError as exc:
        raise ConfigError(f"Could not open the catalog database at {url}: {exc}") from exc
    return database
