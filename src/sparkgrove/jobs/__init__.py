"""Glue-style job scripts that ship with sparkgrove (the demo's ETL step)."""
