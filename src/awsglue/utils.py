"""``from awsglue.utils import getResolvedOptions``."""

from sparkgrove.etl.utils import GlueArgumentError, getResolvedOptions

__all__ = ["GlueArgumentError", "getResolvedOptions"]
