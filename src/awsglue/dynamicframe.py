"""``from awsglue.dynamicframe import DynamicFrame``."""

from sparkgrove.etl.context import DynamicFrameReader, DynamicFrameWriter
from sparkgrove.etl.dynamicframe import DynamicFrame, DynamicFrameCollection

__all__ = ["DynamicFrame", "DynamicFrameCollection", "DynamicFrameReader",
           "DynamicFrameWriter"]
