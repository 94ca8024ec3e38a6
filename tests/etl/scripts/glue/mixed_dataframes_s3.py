# Hand-written: plain Spark and DynamicFrames on the same s3:// paths.
import sys

from pyspark.context import SparkContext
from pyspark.sql import functions as F

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "input_path", "output_path"])
sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

events = spark.read.json(args["input_path"])
daily = events.groupBy("day").agg(F.sum("clicks").alias("clicks")).orderBy("day")
daily.write.mode("overwrite").parquet(args["output_path"] + "daily/")
print("plain", [tuple(r) for r in spark.read.parquet(args["output_path"] + "daily/").orderBy("day").collect()])

frame = DynamicFrame.fromDF(events.filter("clicks > 1"), glueContext, "busy")
glueContext.write_dynamic_frame_from_options(
    frame=frame.coalesce(1), connection_type="s3",
    connection_options={"path": args["output_path"] + "busy/"}, format="json")
job.commit()
print("busy", spark.read.json(args["output_path"] + "busy/").count())
