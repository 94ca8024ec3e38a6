"""``from awsglue.utils import getResolvedOptions``."""

from sparkgrove.etl.utils import getResolvedOptions

__all__ = ["getResolvedOptions"]
