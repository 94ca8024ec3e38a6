"""Glue-style ETL: DynamicFrames, transforms, GlueContext, jobs with bookmarks, and a runner.

Scripts written for AWS Glue import these under Glue's module names (``awsglue.context``,
``awsglue.transforms``, ``awsglue.utils``, ``awsglue.job``, ``awsglue.dynamicframe``), which
this project provides as thin aliases; the implementation is sparkgrove's own.
"""

from sparkgrove.errors import EtlError
from sparkgrove.etl.context import GlueContext
from sparkgrove.etl.dynamicframe import DynamicFrame, DynamicFrameCollection
from sparkgrove.etl.job import Job
from sparkgrove.etl.runner import list_runs, run_script
from sparkgrove.etl.utils import getResolvedOptions
from sparkgrove.store.run_store import RunRecord

__all__ = ["DynamicFrame", "DynamicFrameCollection", "EtlError", "GlueContext", "Job",
           "RunRecord", "getResolvedOptions", "list_runs", "run_script"]
