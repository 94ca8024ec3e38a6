# The arguments Glue passes every job, and the modules a Glue job can import.
import sys

import boto3

from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "day"])
client = boto3.client("s3", region_name="us-east-1")
print(sorted(args))
print(args["JOB_NAME"], args["day"], args["job_bookmark_option"], args["TempDir"],
      args["JOB_RUN_ID"].startswith("jr_"), type(client).__name__)
