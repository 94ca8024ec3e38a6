"""``from awsglue.data_source import DataSource``."""

from sparkgrove.etl.context import DataSource

__all__ = ["DataSource"]
