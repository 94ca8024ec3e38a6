"""Glue's module names for sparkgrove's own Glue-style API (``sparkgrove.etl``), so that
existing Glue scripts run unchanged. No AWS code is included.

``from awsglue import DynamicFrame`` works as in Glue (Glue Studio's scripts start with it).
"""

from sparkgrove.etl.dynamicframe import DynamicFrame

__all__ = ["DynamicFrame"]
