# getSource / getFrame, purge_s3_path, glueparquet through write_dynamic_frame.from_options.
from pyspark.context import SparkContext

from awsglue.context import GlueContext

glue = GlueContext(SparkContext.getOrCreate())
source = glue.getSource(connection_type="s3", paths=["s3://raw/clicks/"],
                        transformation_ctx="clicks")
source.setFormat("json")
clicks = source.getFrame()
print("read", clicks.count(), clicks.getNumPartitions() >= 1)
glue.purge_s3_path("s3://scratch/old/", options={"retentionPeriod": 0})
glue.write_dynamic_frame.from_options(
    frame=clicks.repartition(2), connection_type="s3",
    connection_options={"path": "s3://curated/clicks/"}, format="glueparquet")
