# A Glue-style job: read JSON with a mixed-type column, resolve the choice, write Parquet.
import sys

from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source", "target"])
sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

orders = glueContext.create_dynamic_frame.from_options(
    connection_type="s3", connection_options={"paths": [args["source"]]}, format="json",
    transformation_ctx="orders")
orders.printSchema()
resolved = ResolveChoice.apply(frame=orders, specs=[("price", "cast:double")],
                               transformation_ctx="resolved")
mapped = ApplyMapping.apply(frame=resolved, mappings=[
    ("id", "long", "order_id", "long"), ("price", "double", "price", "double"),
    ("customer.name", "string", "customer_name", "string"),
    ("country", "string", "country", "string")], transformation_ctx="mapped")
cleaned = DropNullFields.apply(frame=mapped, transformation_ctx="cleaned")
sink = glueContext.getSink(connection_type="s3", path=args["target"],
                           enableUpdateCatalog=True, partitionKeys=["country"],
                           transformation_ctx="sink")
sink.setCatalogInfo(catalogDatabase="sales", catalogTableName="orders_clean")
sink.setFormat("glueparquet")
sink.writeFrame(cleaned)
job.commit()
