"""``from awsglue.dynamicrecord import DynamicRecord``: records as Map and Filter get them."""

from sparkgrove.etl.records import DynamicRecord

__all__ = ["DynamicRecord"]
