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

    def to_dict(self) -> dict[str, str]:
        """As a JSON-ready dict."""
        return {"name": self.name, "type": self.type}


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

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return {
            "database": self.database,
            "name": self.name,
            "location": self.location,
            "format": self.format,
            "version": self.version,
            "columns": [c.to_dict() for c in self.columns],
            "partition_keys": [c.to_dict() for c in self.partition_keys],
            "properties": self.properties,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class TableVersion:
    """One version of a table's schema; every schema change makes a new one."""

    database: str
    table: str
    version: int
    columns: tuple[ColumnSpec, ...]
    properties: dict[str, Any]
    created_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return {
            "database": self.database,
            "table": self.table,
            "version": self.version,
            "columns": [c.to_dict() for c in self.columns],
            "properties": self.properties,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class PartitionInfo:
    """A registered Hive-style partition of a table."""

    values: tuple[str, ...]
    location: str
    created_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return {"values": list(self.values), "location": self.location,
                "created_at": self.created_at.isoformat()}


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
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        """``name:version``."""
        return f"{self.name}:{self.version}"

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return {
            "name": self.name,
            "version": self.version,
            "engine": self.engine,
            "task": self.task,
            "params": self.params,
            "metrics": self.metrics,
            "lineage": self.lineage,
            "artifact_path": self.artifact_path,
            "created_at": self.created_at.isoformat(),
        }
