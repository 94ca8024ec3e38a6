# Map and Filter get records that allow rec["f"] and rec.f; a record the function raises on
# is kept aside as an error record.
from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.transforms import ErrorsAsDynamicFrame, Filter, Map

glue = GlueContext(SparkContext.getOrCreate())
orders = glue.create_dynamic_frame.from_options(
    connection_type="s3", connection_options={"paths": ["s3://raw/orders/"]}, format="json")


def add_total(rec):
    rec["total"] = rec.qty * rec["price"]
    rec.customer.name = rec.customer.name.upper()
    return rec


totals = Map.apply(frame=orders, f=add_total, transformation_ctx="totals")
big = Filter.apply(frame=totals, f=lambda r: r.total >= 20)
print(sorted((r["id"], r["total"], r["customer"]["name"]) for r in big.toDF().collect()))
errors = ErrorsAsDynamicFrame.apply(totals)
print("errors", totals.errorsCount(), errors.count(),
      [r["error"].split(":")[0] for r in errors.toDF().collect()])
