"""``from awsglue.job import Job``."""

from sparkgrove.etl.job import Job

__all__ = ["Job"]
