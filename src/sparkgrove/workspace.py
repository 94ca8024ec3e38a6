"""A workspace: settings, the catalog, the registry and (on first use) a Spark session."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from sparkgrove.catalog.api import Catalog
from sparkgrove.registry import Registry
from sparkgrove.settings import Settings, load_settings
from sparkgrove.spark import build_session, register_tables
from sparkgrove.staging import sweep

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class Workspace:
    """Everything one user's work needs, opened from :class:`Settings`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.catalog = Catalog(settings)
        self.registry = Registry(settings, self.catalog.database)
        self._spark: SparkSession | None = None
        from sparkgrove.etl.publish import recover

        recover(self)  # an ETL publish killed part way is finished before anything reads
        with contextlib.suppress(OSError):  # staging left by runs killed since
            sweep(settings.staging)

    @classmethod
    def open(cls, settings: Settings | None = None) -> Workspace:
        """Open the workspace of ``settings`` (resolved from the environment when omitted)."""
        return cls(settings or load_settings())

    @property
    def spark(self) -> SparkSession:
        """The Spark session for this workspace's target, with catalog tables registered."""
        if self._spark is None:
            self._spark = build_session(self.settings, catalog=self.catalog)
        return self._spark

    def refresh_spark_tables(self) -> None:
        """Re-register catalog tables in the Spark session, if one is running."""
        if self._spark is not None:
            register_tables(self._spark, self.catalog)

    def close(self) -> None:
        """Release database connections (the Spark session stays up for reuse)."""
        self.catalog.close()
