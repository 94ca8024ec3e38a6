# The demo's ETL step, written as an AWS Glue job is written; `sparkgrove etl run` runs it as is.
# It cleans the crawled raw tables into Parquet tables that training and scoring use: mapping
# and casting columns, resolving a choice type, dropping null fields.
import sys

from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "database"])
glueContext = GlueContext(SparkContext.getOrCreate())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)
database = args["database"]

MEASURES = [
    ("island", "string", "island", "string"),
    ("bill_length_mm", "double", "bill_length_mm", "double"),
    ("bill_depth_mm", "double", "bill_depth_mm", "double"),
    ("flipper_length_mm", "int", "flipper_length_mm", "double"),
    ("body_mass_g", "int", "body_mass_g", "double"),
    ("sex", "string", "sex", "string"),
]

# History: typed CSV; lines that do not fit its columns are kept aside as error records.
penguins = glueContext.create_dynamic_frame.from_catalog(
    database=database, table_name="penguins", transformation_ctx="penguins")
penguins = ApplyMapping.apply(
    frame=penguins, mappings=[("species", "string", "species", "string"), *MEASURES,
                              ("year", "int", "year", "int")], transformation_ctx="map_history")
penguins = DropNullFields.apply(frame=penguins, transformation_ctx="history_nulls")
history_sink = glueContext.getSink(connection_type="s3",
                                   path=f"s3://{database}-lake/penguins_clean/",
                                   enableUpdateCatalog=True, partitionKeys=["year"],
                                   transformation_ctx="history_sink")
history_sink.setCatalogInfo(catalogDatabase=database, catalogTableName="penguins_clean")
history_sink.setFormat("glueparquet")
history_sink.writeFrame(penguins)

# New arrivals: JSON lines where body_mass_g is sometimes a number, sometimes a string.
arrivals = glueContext.create_dynamic_frame.from_catalog(
    database=database, table_name="new_penguins", transformation_ctx="arrivals")
arrivals.printSchema()
arrivals = ResolveChoice.apply(frame=arrivals, specs=[("body_mass_g", "cast:int")],
                               transformation_ctx="resolve_mass")
arrivals = ApplyMapping.apply(frame=arrivals,
                              mappings=[("tag", "string", "tag", "string"), *MEASURES],
                              transformation_ctx="map_arrivals")
arrivals = DropNullFields.apply(frame=arrivals, transformation_ctx="arrival_nulls")
arrival_sink = glueContext.getSink(connection_type="s3",
                                   path=f"s3://{database}-lake/new_penguins_clean/",
                                   enableUpdateCatalog=True, transformation_ctx="arrival_sink")
arrival_sink.setCatalogInfo(catalogDatabase=database, catalogTableName="new_penguins_clean")
arrival_sink.setFormat("glueparquet")
arrival_sink.writeFrame(arrivals)
job.commit()
