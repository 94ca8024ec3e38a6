"""``from awsglue.data_sink import DataSink``."""

from sparkgrove.etl.context import DataSink

__all__ = ["DataSink"]
