# A bookmarked incremental load: each run reads only files new since the last commit.
import sys

from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import ApplyMapping
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "fail_after_write"])
glueContext = GlueContext(SparkContext())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)
events = glueContext.create_dynamic_frame.from_catalog(
    database="raw", table_name="events", transformation_ctx="events",
    push_down_predicate="day >= 1")
events = ApplyMapping.apply(frame=events, mappings=[
    ("id", "int", "id", "long"), ("amount", "double", "amount", "double"),
    ("day", "int", "day", "int")])
glueContext.write_dynamic_frame.from_options(
    frame=events, connection_type="s3",
    connection_options={"path": "s3://lake/events/", "partitionKeys": ["day"]},
    format="parquet")
if args["fail_after_write"] == "yes":
    raise RuntimeError("simulated crash after the write")
job.commit()
