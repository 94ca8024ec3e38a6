"""Glue's module names for sparkgrove's own Glue-style API (``sparkgrove.etl``), so that
existing Glue scripts run unchanged. No AWS code is included."""
