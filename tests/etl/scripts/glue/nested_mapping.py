# ApplyMapping as AWS documents it: names match case-insensitively, backticks quote a name
# with dots, and a dotted target builds a struct.
from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.transforms import ApplyMapping, DropFields, RenameField, SelectFields

glue = GlueContext(SparkContext.getOrCreate())
users = glue.create_dynamic_frame.from_options(
    connection_type="s3", connection_options={"paths": ["s3://raw/users/"]}, format="json")
mapped = ApplyMapping.apply(frame=users, mappings=[
    ("UserId", "long", "id", "long"),
    ("`this.old.name`", "string", "thisNewName", "string"),
    ("Profile.City", "string", "address.city", "string"),
    ("profile.zip", "string", "address.zip", "int"),
    ("missing_field", "string", "gone", "string"),
])
print(mapped.toDF().schema.simpleString())
print(sorted(tuple(r.asDict(recursive=True).items()) for r in mapped.toDF().collect()))
slim = SelectFields.apply(frame=mapped, paths=["ID", "address.city"])
print(slim.toDF().schema.simpleString())
print(DropFields.apply(frame=mapped, paths=["address.zip"]).toDF().schema.simpleString())
print(RenameField.apply(frame=mapped, old_name="address.city", new_name="town")
      .toDF().schema.simpleString())
