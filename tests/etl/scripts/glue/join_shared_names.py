# Join.apply with the keywords AWS documents, on frames that share field names.
from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.transforms import Join

glue = GlueContext(SparkContext.getOrCreate())
spark = glue.spark_session
from awsglue.dynamicframe import DynamicFrame

left = DynamicFrame.fromDF(spark.createDataFrame(
    [(1, "ann", 10), (2, "ben", 20)], "id INT, name STRING, dept INT"), glue, "people")
right = DynamicFrame.fromDF(spark.createDataFrame(
    [(10, "sales"), (20, "ops"), (30, "hr")], "id INT, name STRING"), glue, "depts")
joined = Join.apply(frame1=left, frame2=right, keys1=["dept"], keys2=["id"])
print(joined.toDF().columns)
print(sorted(tuple(r) for r in joined.toDF().collect()))
