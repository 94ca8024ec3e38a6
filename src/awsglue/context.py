"""``from awsglue.context import GlueContext``."""

from sparkgrove.etl.context import DataSink, DataSource, GlueContext

__all__ = ["DataSink", "DataSource", "GlueContext"]
