"""``from awsglue.utils import getResolvedOptions``."""

from sparkgrove.errors import GlueArgumentError
from sparkgrove.etl.utils import getResolvedOptions

__all__ = ["GlueArgumentError", "getResolvedOptions"]
