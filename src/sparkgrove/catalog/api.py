"""The catalog's public face: look up, list and crawl, with validated names."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sparkgrove.catalog.crawler import CrawlReport, ProgressFn, crawl_path
from sparkgrove.errors import NotFoundError, suggest
from sparkgrove.names import check_name, split_table_name
from sparkgrove.settings import Settings
from sparkgrove.store.catalog_store import CatalogStore, TableWrite
from sparkgrove.store.db import Database, open_database
from sparkgrove.store.entities import (
    DatabaseInfo,
    FileRecord,
    PartitionInfo,
    TableInfo,
    TableVersion,
)


class Catalog:
    """Databases, tables, versions and partitions of one workspace."""

    def __init__(self, settings: Settings, database: Database | None = None) -> None:
        self.settings = settings
        settings.ensure_dirs()
        self.database = database or open_database(settings.catalog_url)
        self.store = CatalogStore(self.database)

    def close(self) -> None:
        """Release the database connections."""
        self.database.close()

    def databases(self) -> list[DatabaseInfo]:
        """Every database."""
        return self.store.list_databases()

    def create_database(self, name: str, description: str = "") -> DatabaseInfo:
        """Create a database (an existing one is returned)."""
        return self.store.create_database(check_name(name, "database"), description)

    def tables(self, database: str | None = None) -> list[TableInfo]:
        """Tables of one database, or all tables."""
        return self.store.list_tables(None if database is None else check_name(database,
                                                                               "database"))

    def table(self, qualified: str, version: int | None = None) -> TableInfo:
        """``db.table`` at its current version, or at ``version``."""
        db, name = split_table_name(qualified)
        return self.store.get_table(db, name, version)

    def has_table(self, qualified: str) -> bool:
        """Whether ``db.table`` exists."""
        return self.store.has_table(*split_table_name(qualified))

    def versions(self, qualified: str) -> list[TableVersion]:
        """Every schema version of ``db.table``."""
        return self.store.versions(*split_table_name(qualified))

    def partitions(self, qualified: str) -> list[PartitionInfo]:
        """Registered partitions of ``db.table``."""
        return self.store.partitions(*split_table_name(qualified))

    def files(self, qualified: str) -> list[FileRecord]:
        """Files the crawler recorded for ``db.table``."""
        return self.store.files(*split_table_name(qualified))

    def save_table(self, write: TableWrite) -> TableInfo:
        """Create or update a table (used by jobs that write tables)."""
        return self.store.save_table(write)

    def drop_table(self, qualified: str) -> None:
        """Forget ``db.table`` (its versions, partitions and file records); its data stays."""
        self.store.drop_table(*split_table_name(qualified))

    def drop_database(self, name: str, *, cascade: bool = False) -> list[str]:
        """Forget a database (with ``cascade``, its tables too); data stays where it is."""
        return self.store.drop_database(check_name(name, "database"), cascade=cascade)

    def crawl(self, path: str | Path, database: str, *, table: str | None = None,
              policy: str = "update", replace: bool = False,
              progress: ProgressFn | None = None) -> CrawlReport:
        """Crawl ``path`` into ``database``; see :func:`sparkgrove.catalog.crawl_path`."""
        return crawl_path(self.store, path, database, table=table, policy=policy,
                          replace=replace, rejects_dir=self.settings.rejects, progress=progress)

    @staticmethod
    def resolve_columns(table: TableInfo, names: Sequence[str]) -> list[str]:
        """The table's own spelling of each of ``names``, matched as Spark SQL and Glue match
        them: exactly, else ignoring case (``personSearch`` finds the crawler's
        ``personsearch``). Raises :class:`NotFoundError` naming the first unknown column."""
        known = [c.name for c in table.all_columns]
        by_lower: dict[str, list[str]] = {}
        for name in known:
            by_lower.setdefault(name.lower(), []).append(name)
        resolved: list[str] = []
        for name in names:
            if name in known:
                resolved.append(name)
                continue
            matches = by_lower.get(name.lower(), [])
            if len(matches) == 1:
                resolved.append(matches[0])
                continue
            if matches:
                raise NotFoundError(
                    f"Column {name!r} of {table.qualified_name} is ambiguous: it matches "
                    f"{', '.join(map(repr, matches))} ignoring case; write one exactly.")
            raise NotFoundError(
                f"Unknown column {name!r} in {table.qualified_name}: "
                f"{suggest(name, known, 'columns')}."
            )
        return resolved
