# from_catalog with names in another case and a push-down predicate; mergeDynamicFrame.
from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame

glue = GlueContext(SparkContext.getOrCreate())
spark = glue.spark_session
recent = glue.create_dynamic_frame.from_catalog(
    database="Shop", table_name="Orders", push_down_predicate="year >= 2024")
print(sorted(r["id"] for r in recent.toDF().collect()))
updates = DynamicFrame.fromDF(spark.createDataFrame(
    [(2, 99.0, 2024), (7, 5.0, 2024)], "id BIGINT, amount DOUBLE, year INT"), glue, "updates")
merged = recent.mergeDynamicFrame(updates, ["id"])
print(sorted((r["id"], r["amount"]) for r in merged.toDF().collect()))
print(spark.sql("SELECT count(*) FROM shop.orders").collect()[0][0])
