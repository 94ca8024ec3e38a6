"""The same transformation as a Glue-style script and as plain PySpark DataFrame code, in one
run, on the same generated data: prints both times and their ratio (target: at most 1.2).

The job reads a Parquet table of 2,000,000 orders from the catalog, maps and casts columns,
filters, joins a customers table, and writes Parquet partitioned by country.

    .venv/bin/python bench/etl.py [--rows 2000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sparkgrove.etl.runner import run_script
from sparkgrove.settings import load_settings
from sparkgrove.workspace import Workspace

GLUE_SCRIPT = """
import sys
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import ApplyMapping, DropFields, Join
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "out"])
glue = GlueContext(SparkContext.getOrCreate())
job = Job(glue)
job.init(args["JOB_NAME"], args)
orders = glue.create_dynamic_frame.from_catalog(database="bench", table_name="orders")
customers = glue.create_dynamic_frame.from_catalog(database="bench", table_name="customers")
orders = ApplyMapping.apply(frame=orders, mappings=[
    ("order_id", "long", "order_id", "long"), ("customer_id", "long", "customer_id", "long"),
    ("amount", "double", "amount_eur", "double"), ("quantity", "long", "quantity", "int")])
orders = orders.toDF().filter("quantity > 1")
from awsglue.dynamicframe import DynamicFrame
orders = DynamicFrame.fromDF(orders, glue, "orders")
joined = Join.apply(orders, customers, "customer_id", "id")
joined = DropFields.apply(frame=joined, paths=["id"])
glue.write_dynamic_frame.from_options(
    frame=joined, connection_type="s3",
    connection_options={"path": args["out"], "partitionKeys": ["country"]}, format="parquet")
job.commit()
"""

PLAIN_SCRIPT = """
import sys
from pyspark.sql import SparkSession, functions as F
spark = SparkSession.builder.getOrCreate()
orders_path, customers_path, out = sys.argv[1:4]
orders = spark.read.parquet(orders_path).select(
    F.col("order_id").cast("long"), F.col("customer_id").cast("long"),
    F.col("amount").cast("double").alias("amount_eur"), F.col("quantity").cast("int"))
orders = orders.filter("quantity > 1")
customers = spark.read.parquet(customers_path)
joined = orders.join(customers, orders.customer_id == customers.id).drop("id")
joined.write.mode("overwrite").partitionBy("country").parquet(out)
"""


def make_data(root: Path, rows: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    orders = root / "orders"
    customers = root / "customers"
    orders.mkdir(parents=True)
    customers.mkdir(parents=True)
    for part in range(4):
        n = rows // 4
        pq.write_table(pa.table({
            "order_id": np.arange(part * n, (part + 1) * n),
            "customer_id": rng.integers(0, 10_000, n),
            "amount": rng.gamma(2.0, 30.0, n).round(2),
            "quantity": rng.integers(1, 6, n)}), orders / f"part-{part}.parquet")
    pq.write_table(pa.table({"id": np.arange(10_000),
                             "country": rng.choice(["de", "fr", "it", "es", "nl"], 10_000),
                             "segment": rng.choice(["retail", "pro"], 10_000)}),
                   customers / "part-0.parquet")
    return orders, customers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sg-etl-bench-"))
    orders, customers = make_data(work / "raw", args.rows)
    workspace = Workspace(load_settings(workspace=work / "ws", spark_master="local[2]"))
    workspace.catalog.crawl(orders, "bench")
    workspace.catalog.crawl(customers, "bench")
    glue_script = work / "glue_job.py"
    glue_script.write_text(GLUE_SCRIPT)
    plain = compile(PLAIN_SCRIPT, "plain_job.py", "exec")
    spark = workspace.spark
    spark.range(1000).count()  # warm-up
    glue_times, plain_times = [], []
    for i in range(args.repeats):
        import sys

        start = time.perf_counter()
        saved = sys.argv
        sys.argv = ["plain_job.py", str(orders), str(customers), str(work / f"plain-{i}")]
        try:
            exec(plain, {"__name__": "__main__"})
        finally:
            sys.argv = saved
        plain_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        record = run_script(workspace, glue_script, ["--JOB_NAME", "bench", "--out",
                                                     f"s3://bench/glue-{i}/"])
        glue_times.append(time.perf_counter() - start)
        assert record.state == "SUCCEEDED", record.message
    a, b = statistics.median(glue_times), statistics.median(plain_times)
    print(f"rows={args.rows} repeats={args.repeats} (in one process, local[2], after warm-up)")
    print(f"Glue-style script   median {a:6.2f}s  runs {[round(t, 2) for t in glue_times]}")
    print(f"plain PySpark       median {b:6.2f}s  runs {[round(t, 2) for t in plain_times]}")
    print(f"ratio glue/plain    {a / b:.3f}  (target <= 1.2)")


if __name__ == "__main__":
    main()
