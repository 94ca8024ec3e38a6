"""``from awsglue.context import GlueContext``."""

from sparkgrove.etl.context import DataSink, GlueContext

__all__ = ["DataSink", "GlueContext"]
