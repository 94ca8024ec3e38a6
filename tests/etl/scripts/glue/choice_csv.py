# A CSV whose price column mixes numbers and text: a choice, settled by resolveChoice.
import sys

from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.transforms import ResolveChoice
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME"])
glue_context = GlueContext(SparkContext.getOrCreate())
medicare = glue_context.create_dynamic_frame.from_options(
    "s3", {"paths": ["s3://raw/prices/"]}, "csv", {"withHeader": True})
medicare.printSchema()
as_double = medicare.resolveChoice(specs=[("price", "cast:double")])
as_cols = ResolveChoice.apply(medicare, choice="make_cols")
projected = medicare.resolveChoice(specs=[("price", "project:string")])
for name, frame in [("cast", as_double), ("cols", as_cols), ("project", projected)]:
    rows = sorted(frame.toDF().collect(), key=lambda r: r["item"])
    print(name, frame.toDF().columns, [tuple(r) for r in rows])
