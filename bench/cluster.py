"""Cluster start-up time, and the overhead of a step against plain spark-submit, in one run.

Starts a 2-worker x 1-core cluster (several times, timing `up` until every worker has
registered), then runs the same PySpark script alternately as a sparkgrove step (from `step
add` to COMPLETED) and directly with spark-submit on the same cluster, and prints the ratio of
the medians (target: at most 1.10).

    .venv/bin/python bench/cluster.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from sparkgrove.cluster import daemons
from sparkgrove.cluster.manager import ClusterManager
from sparkgrove.cluster.spec import build_spec
from sparkgrove.cluster.steps import add_step
from sparkgrove.settings import load_settings
from sparkgrove.store.db import open_database
from sparkgrove.store.step_store import StepStore

JOB = """
from pyspark.sql import SparkSession, functions as F
spark = SparkSession.builder.getOrCreate()
frame = spark.range(2_000_000).withColumn("k", F.col("id") % 97)
print(frame.groupBy("k").agg(F.sum("id")).count())
spark.stop()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sg-cluster-bench-"))
    settings = load_settings(workspace=work / "ws")
    settings.ensure_dirs()
    manager = ClusterManager(settings, open_database(settings.catalog_url))
    spec = build_spec({"name": "bench", "workers": 2, "cores": 1, "memory": "1g"})
    ups = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        manager.up(spec)
        ups.append(time.perf_counter() - start)
        manager.down("bench")
    manager.up(spec)
    script = work / "job.py"
    script.write_text(JOB)
    steps = StepStore(manager.db)
    master_url, _conf, properties = manager.client_conf("bench")
    env = manager.daemon_env(spec)
    submit = [str(daemons.spark_home() / "bin" / "spark-submit"), "--master", master_url,
              "--properties-file", str(properties), "--conf", "spark.ui.enabled=false",
              "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.executor.memory=1g",
              str(script)]
    as_step, direct = [], []
    try:
        for _ in range(args.repeats):
            start = time.perf_counter()
            subprocess.run(submit, env=env, check=True, capture_output=True)
            direct.append(time.perf_counter() - start)
            start = time.perf_counter()
            step = add_step(steps, "bench", str(script), [], name="job",
                            action_on_failure="CONTINUE", log_dir=work / "steps")
            while not (step := steps.get(step.id)).state.final:
                time.sleep(0.05)
            as_step.append(time.perf_counter() - start)
            assert step.state == "COMPLETED", Path(step.log_path).read_text()[-2000:]
    finally:
        manager.down("bench")
    print(f"cluster up (2 workers x 1 core) until all registered: median "
          f"{statistics.median(ups):.2f}s  runs {[round(t, 2) for t in ups]}")
    a, b = statistics.median(as_step), statistics.median(direct)
    print(f"step (add -> COMPLETED)      median {a:.2f}s  runs {[round(t, 2) for t in as_step]}")
    print(f"spark-submit directly        median {b:.2f}s  runs {[round(t, 2) for t in direct]}")
    print(f"ratio step/spark-submit      {a / b:.3f}  (target <= 1.10)")


if __name__ == "__main__":
    main()
