"""The catalog's records: databases, tables, table versions, partitions and crawled files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from sparkgrove.errors import AlreadyExistsError, ConfigError, NotFoundError, suggest
from sparkgrove.store import schema as s
from sparkgrove.store.db import Database, utcnow
from sparkgrove.store.entities import (
    ColumnSpec,
    DatabaseInfo,
    FileRecord,
    PartitionInfo,
    TableInfo,
    TableVersion,
)


@dataclass(frozen=True)
class TableWrite:
    """Everything one commit writes about a table (a crawl, or a job's output)."""

    database: str
    name: str
    location: str
    format: str
    columns: tuple[ColumnSpec, ...]
    partition_keys: tuple[ColumnSpec, ...] = ()
    properties: dict[str, Any] = field(default_factory=dict)
    partitions: tuple[tuple[tuple[str, ...], str], ...] = ()
    files: tuple[FileRecord, ...] = ()
    new_version: bool = True
    replace_files: bool = False
    removed_files: tuple[str, ...] = ()
    """Paths of files gone since the last write, whose records leave the table."""


def _columns(raw: Sequence[dict[str, str]]) -> tuple[ColumnSpec, ...]:
    return tuple(ColumnSpec(name=c["name"], type=c["type"]) for c in raw)


def _col_json(cols: Sequence[ColumnSpec]) -> list[dict[str, str]]:
    return [{"name": c.name, "type": c.type} for c in cols]


SAVE_ATTEMPTS = 5
"""Attempts of a table save that races another writer creating the same table."""


class CatalogStore:
    """Reads and writes catalog records; each public method is one transaction."""

    def __init__(self, database: Database) -> None:
        self._db = database

    # databases ---------------------------------------------------------------------------
    def create_database(self, name: str, description: str = "", *, exist_ok: bool = True
                        ) -> DatabaseInfo:
        """Create database ``name``; an existing one is returned when ``exist_ok``.

        Two processes creating the same database at once both succeed: the one whose insert
        loses the race reads the winner's row."""
        try:
            return self._create_database(name, description, exist_ok)
        except IntegrityError:  # another process created it a moment ago
            return self._create_database(name, description, exist_ok)

    def _create_database(self, name: str, description: str, exist_ok: bool) -> DatabaseInfo:
        with self._db.begin() as conn:
            row = conn.execute(select(s.databases).where(s.databases.c.name == name)).first()
            if row is not None:
                if not exist_ok:
                    raise AlreadyExistsError(f"The database {name!r} already exists.")
                return DatabaseInfo(row.name, row.description, row.created_at)
            now = utcnow()
            conn.execute(insert(s.databases).values(name=name, description=description,
                                                    created_at=now))
            return DatabaseInfo(name, description, now)

    def list_databases(self) -> list[DatabaseInfo]:
        """Every database, by name."""
        with self._db.begin() as conn:
            rows = conn.execute(select(s.databases).order_by(s.databases.c.name)).all()
        return [DatabaseInfo(r.name, r.description, r.created_at) for r in rows]

    def _database_id(self, conn: Connection, name: str) -> int:
        found = conn.execute(select(s.databases.c.id).where(s.databases.c.name == name)).scalar()
        if found is None:
            names = conn.execute(select(s.databases.c.name)).scalars().all()
            raise NotFoundError(f"Unknown database {name!r}: {suggest(name, names, 'databases')}.")
        return int(found)

    # tables ------------------------------------------------------------------------------
    def _table_row(self, conn: Connection, database: str, name: str) -> Row[Any]:
        db_id = self._database_id(conn, database)
        row = conn.execute(
            select(s.tables).where(s.tables.c.database_id == db_id, s.tables.c.name == name)
        ).first()
        if row is None:
            names = conn.execute(
                select(s.tables.c.name).where(s.tables.c.database_id == db_id)
            ).scalars().all()
            raise NotFoundError(
                f"Unknown table {database}.{name}: "
                f"{suggest(name, names, f'tables in {database}')}."
            )
        return row

    def _table_info(self, conn: Connection, database: str, row: Row[Any],
                    version: int | None = None) -> TableInfo:
        wanted = row.current_version if version is None else version
        ver = None if not 1 <= wanted <= row.current_version else conn.execute(
            select(s.table_versions).where(s.table_versions.c.table_id == row.id,
                                           s.table_versions.c.version == wanted)
        ).first()
        if ver is None:
            raise NotFoundError(
                f"Table {database}.{row.name} has no version {wanted}; versions are 1 to "
                f"{row.current_version}."
            )
        props = dict(row.properties)
        if version is not None:
            props.update(ver.properties)
        return TableInfo(
            database=database, name=row.name, location=row.location, format=row.format,
            version=wanted, columns=_columns(ver.columns),
            partition_keys=_columns(row.partition_keys), properties=props,
            created_at=row.created_at, updated_at=row.updated_at,
        )

    def get_table(self, database: str, name: str, version: int | None = None) -> TableInfo:
        """The table at its current version, or at ``version``."""
        with self._db.begin() as conn:
            row = self._table_row(conn, database, name)
            return self._table_info(conn, database, row, version)

    def has_table(self, database: str, name: str) -> bool:
        """Whether ``database.name`` exists."""
        with self._db.begin() as conn:
            db_id = conn.execute(
                select(s.databases.c.id).where(s.databases.c.name == database)).scalar()
            if db_id is None:
                return False
            found = conn.execute(select(s.tables.c.id).where(
                s.tables.c.database_id == db_id, s.tables.c.name == name)).scalar()
            return found is not None

    def list_tables(self, database: str | None = None) -> list[TableInfo]:
        """Tables of one database, or of all, by name."""
        with self._db.begin() as conn:
            query = select(s.tables, s.databases.c.name.label("db_name")).join(
                s.databases, s.databases.c.id == s.tables.c.database_id)
            if database is not None:
                query = query.where(s.tables.c.database_id == self._database_id(conn, database))
            rows = conn.execute(query.order_by(s.databases.c.name, s.tables.c.name)).all()
            return [self._table_info(conn, r.db_name, r) for r in rows]

    def versions(self, database: str, name: str) -> list[TableVersion]:
        """Every schema version of a table, oldest first."""
        with self._db.begin() as conn:
            row = self._table_row(conn, database, name)
            rows = conn.execute(select(s.table_versions).where(
                s.table_versions.c.table_id == row.id).order_by(s.table_versions.c.version)).all()
        return [TableVersion(database, name, v.version, _columns(v.columns), dict(v.properties),
                             v.created_at) for v in rows]

    def partitions(self, database: str, name: str) -> list[PartitionInfo]:
        """The table's registered partitions, in order of their values."""
        with self._db.begin() as conn:
            row = self._table_row(conn, database, name)
            rows = conn.execute(select(s.partitions).where(
                s.partitions.c.table_id == row.id).order_by(s.partitions.c.values_key)).all()
        return [PartitionInfo(tuple(p.values), p.location, p.created_at) for p in rows]

    def files(self, database: str, name: str) -> list[FileRecord]:
        """The data files the crawler has recorded for the table."""
        with self._db.begin() as conn:
            row = self._table_row(conn, database, name)
            rows = conn.execute(select(s.table_files).where(
                s.table_files.c.table_id == row.id).order_by(s.table_files.c.path)).all()
        return [FileRecord(f.path, f.size, f.mtime, f.records, f.malformed, f.version)
                for f in rows]

    def save_table(self, write: TableWrite) -> TableInfo:
        """Create or update a table in one transaction.

        A new table starts at version 1. For an existing one, changed columns make a new version
        when ``write.new_version`` is set (otherwise the columns stay as they were); properties
        are merged; partitions and files are added (files replaced when ``replace_files``).
        """
        for attempt in range(SAVE_ATTEMPTS):
            try:
                return self._save_table(write)
            except IntegrityError as exc:
                # Another writer created the same table (or database) first: the next attempt
                # sees its row, locks it, and adds to it.
                if attempt == SAVE_ATTEMPTS - 1:
                    raise AlreadyExistsError(
                        f"Table {write.database}.{write.name} was changed by another writer at "
                        f"the same time ({exc.orig}); run the command again.") from exc
        raise AssertionError("unreachable")

    def _save_table(self, write: TableWrite) -> TableInfo:
        now = utcnow()
        with self._db.begin() as conn:
            db_id = self._database_id(conn, write.database)
            # The table's row is locked until the transaction ends (PostgreSQL; SQLite's
            # transactions already hold the write lock), so concurrent writers take
            # version numbers one after another.
            row = conn.execute(select(s.tables).where(
                s.tables.c.database_id == db_id, s.tables.c.name == write.name
            ).with_for_update()).first()
            if row is None:
                table_id = conn.execute(insert(s.tables).values(  # type: ignore[index]
                    database_id=db_id, name=write.name, location=write.location,
                    format=write.format, current_version=1,
                    partition_keys=_col_json(write.partition_keys),
                    properties=write.properties, created_at=now, updated_at=now,
                )).inserted_primary_key[0]
                conn.execute(insert(s.table_versions).values(
                    table_id=table_id, version=1, columns=_col_json(write.columns),
                    properties=write.properties, created_at=now))
                version_now = 1
            else:
                table_id = row.id
                current = conn.execute(select(s.table_versions.c.columns).where(
                    s.table_versions.c.table_id == table_id,
                    s.table_versions.c.version == row.current_version)).scalar_one()
                version = row.current_version
                props = {**row.properties, **write.properties}
                if _columns(current) != write.columns and write.new_version:
                    version += 1
                    conn.execute(insert(s.table_versions).values(
                        table_id=table_id, version=version,
                        columns=_col_json(write.columns), properties=props,
                        created_at=now))
                conn.execute(update(s.tables).where(s.tables.c.id == table_id).values(
                    current_version=version, properties=props, updated_at=now,
                    location=write.location, format=write.format,
                    partition_keys=_col_json(write.partition_keys)))
                version_now = version
            self._add_partitions(conn, table_id, write.partitions, now)
            if write.replace_files:
                conn.execute(delete(s.table_files).where(s.table_files.c.table_id == table_id))
            for path in write.removed_files:
                conn.execute(delete(s.table_files).where(
                    s.table_files.c.table_id == table_id, s.table_files.c.path == path))
            self._add_files(conn, table_id, write.files, version_now, now)
            final = conn.execute(select(s.tables).where(s.tables.c.id == table_id)).one()
            return self._table_info(conn, write.database, final)

    @staticmethod
    def _add_partitions(conn: Connection, table_id: int,
                        parts: Sequence[tuple[tuple[str, ...], str]], now: Any) -> None:
        known = set(conn.execute(select(s.partitions.c.values_key).where(
            s.partitions.c.table_id == table_id)).scalars())
        for values, location in parts:
            key = "/".join(values)
            if key in known:
                continue
            known.add(key)
            conn.execute(insert(s.partitions).values(
                table_id=table_id, values_key=key, values=list(values), location=location,
                created_at=now))

    @staticmethod
    def _add_files(conn: Connection, table_id: int, files: Sequence[FileRecord], version: int,
                   now: Any) -> None:
        for f in files:
            conn.execute(delete(s.table_files).where(
                s.table_files.c.table_id == table_id, s.table_files.c.path == f.path))
            conn.execute(insert(s.table_files).values(
                table_id=table_id, path=f.path, size=f.size, mtime=f.mtime, records=f.records,
                malformed=f.malformed, version=f.version or version, created_at=now))

    def drop_database(self, name: str, *, cascade: bool = False) -> list[str]:
        """Remove a database's records (and, with ``cascade``, its tables' records; never their
        data); return the tables dropped. A database with tables is refused without
        ``cascade``."""
        with self._db.begin() as conn:
            db_id = self._database_id(conn, name)
            tables = conn.execute(select(s.tables.c.name).where(
                s.tables.c.database_id == db_id).order_by(s.tables.c.name)).scalars().all()
            if tables and not cascade:
                raise ConfigError(
                    f"The database {name} holds {len(tables)} table(s) ({', '.join(tables[:5])}"
                    f"{', ...' if len(tables) > 5 else ''}); drop them first, or pass --cascade.")
            conn.execute(delete(s.tables).where(s.tables.c.database_id == db_id))
            conn.execute(delete(s.databases).where(s.databases.c.id == db_id))
            return [f"{name}.{t}" for t in tables]

    def drop_table(self, database: str, name: str) -> None:
        """Remove a table's records (not its data)."""
        with self._db.begin() as conn:
            row = self._table_row(conn, database, name)
            conn.execute(delete(s.tables).where(s.tables.c.id == row.id))
