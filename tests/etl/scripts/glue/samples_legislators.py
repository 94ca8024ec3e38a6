# In the style of AWS's "join and relationalize" sample.
import sys

from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions

glueContext = GlueContext(SparkContext.getOrCreate())
args = getResolvedOptions(sys.argv, ["JOB_NAME"])
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

persons = glueContext.create_dynamic_frame.from_catalog(
    database="legislators", table_name="persons_json")
memberships = glueContext.create_dynamic_frame.from_catalog(
    database="legislators", table_name="memberships_json")
orgs = glueContext.create_dynamic_frame.from_catalog(
    database="legislators", table_name="organizations_json")
print("Count: ", persons.count())
persons.printSchema()

orgs = orgs.drop_fields(["other_names", "identifiers"]).rename_field(
    "id", "org_id").rename_field("name", "org_name")
l_history = Join.apply(orgs, Join.apply(persons, memberships, "id", "person_id"),
                       "org_id", "organization_id").drop_fields(["person_id", "org_id"])
print("Count: ", l_history.count())
glueContext.write_dynamic_frame.from_options(
    frame=l_history, connection_type="s3",
    connection_options={"path": "s3://glue-sample-target/output-dir/legislator_history"},
    format="parquet")
s_history = l_history.toDF().repartition(1)
s_history.write.parquet("s3://glue-sample-target/output-dir/legislator_single")
l_history.toDF().write.parquet("s3://glue-sample-target/output-dir/legislator_part",
                               partitionBy=["org_name"])

dfc = l_history.relationalize("hist_root", "s3://glue-sample-target/temp-dir/")
for df_name in dfc.keys():
    m_df = dfc.select(df_name)
    print("Writing to table: ", df_name)
    glueContext.write_dynamic_frame.from_options(
        frame=m_df, connection_type="s3",
        connection_options={"path": "s3://glue-sample-target/relational/" + df_name},
        format="parquet")
job.commit()
