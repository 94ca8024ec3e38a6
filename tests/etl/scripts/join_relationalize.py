# A Glue-style job in the manner of the public "join and relationalize" examples.
import sys

from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import Join, Relationalize, RenameField, SelectFields
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME"])
glueContext = GlueContext(SparkContext.getOrCreate())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

persons = glueContext.create_dynamic_frame.from_catalog(database="legislators",
                                                        table_name="persons")
memberships = glueContext.create_dynamic_frame.from_catalog(database="legislators",
                                                            table_name="memberships")
persons = RenameField.apply(frame=persons, old_name="id", new_name="person_id")
history = Join.apply(persons, memberships, "person_id", "person_id")
history = SelectFields.apply(frame=history, paths=["name", "org", "contact_details"])
tables = Relationalize.apply(frame=history, staging_path="s3://tmp/relationalize/",
                            name="hist_root")
for name in tables.keys():
    glueContext.write_dynamic_frame.from_options(
        frame=tables.select(name), connection_type="s3",
        connection_options={"path": f"s3://warehouse/history/{name}/"}, format="parquet")
job.commit()
