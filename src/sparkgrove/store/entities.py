"""Plain frozen objects the stores return."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ColumnSpec:
    """A column: its name and its Spark SQL type name (``bigint``, ``double``, ``string`` ...)."""

    name: str
    type: str

@dataclass(frozen=True)
class DatabaseInfo:
    """A catalog database."""

    name: str
    description: str
    created_at: dt.datetime


@dataclass(frozen=True)
class TableInfo:
    """A catalog table at its current version.

    ``columns`` are the data columns; ``partition_keys`` the Hive partition columns (which are
    also typed, and come after the data columns when the table is read).
    """

    database: str
    name: str
    location: str
    format: str
    version: int
    columns: tuple[ColumnSpec, ...]
    partition_keys: tuple[ColumnSpec, ...]
    properties: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def qualified_name(self) -> str:
        """``database.table``."""
        return f"{self.database}.{self.name}"

    @property
    def all_columns(self) -> tuple[ColumnSpec, ...]:
        """Data columns followed by partition keys, as Spark reads them."""
        return self.columns + self.partition_keys

@dataclass(frozen=True)
class TableVersion:
    """One version of a table's schema; every schema change makes a new one."""

    database: str
    table: str
    version: int
    columns: tuple[ColumnSpec, ...]
    properties: dict[str, Any]
    created_at: dt.datetime

@dataclass(frozen=True)
class PartitionInfo:
    """A registered Hive-style partition of a table."""

    values: tuple[str, ...]
    location: str
    created_at: dt.datetime

@dataclass(frozen=True)
class FileRecord:
    """A data file the crawler has seen for a table."""

    path: str
    size: int
    mtime: float
    records: int
    malformed: int
    version: int = 0
    """The table version whose schema the file was read with (0: not yet assigned)."""


@dataclass(frozen=True)
class ModelVersion:
    """A registered version of a named model."""

    name: str
    version: int
    engine: str
    task: str
    params: dict[str, Any]
    metrics: dict[str, Any]
    lineage: dict[str, Any]
    artifact_path: str
    created_at: dt.datetime
    extra: dict[str, Any] = field(default_factory=dict, metadata={"json": False})

    @property
    def ref(self) -> str:
        """``name:version``."""
        return f"{self.name}:{self.version}"

