# SplitFields, SplitRows and the collection transforms.
from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.transforms import *

glue = GlueContext(SparkContext.getOrCreate())
people = glue.create_dynamic_frame_from_options(
    "s3", {"paths": ["s3://raw/people/"]}, format="json")
dfc = SplitFields.apply(frame=people, paths=["Name", "age"], name1="basics", name2="rest")
print(sorted(dfc.keys()))
basics = SelectFromCollection.apply(dfc=dfc, key="basics")
print(basics.toDF().columns, dfc.select("rest").toDF().columns)
rows = SplitRows.apply(frame=people, comparison_dict={"age": {">": 30}}, name1="older",
                       name2="younger")
print({k: rows.select(k).count() for k in rows.keys()})
upper = MapToCollection.apply(dfc=rows, callable=lambda frame, ctx: frame.select_fields(["name"]))
print({k: upper.select(k).toDF().columns for k in upper.keys()})
flat = FlatMap.apply(dfc=rows, BaseTransform=SplitFields, frame_name="frame",
                     paths=["name"], name1="n", name2="other")
print(sorted(flat.keys()))
