"""Glue-style scripts run unchanged under `sparkgrove etl run`."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sparkgrove.etl.runner import run_script
from sparkgrove.store.bookmark_store import BookmarkStore
from sparkgrove.workspace import Workspace
from tests.helpers import write_csv

SCRIPTS = Path(__file__).parent / "scripts"


def _parquet_rows(folder: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for file in sorted(folder.rglob("*.parquet")):
        table = pq.read_table(file)
        part = {p.split("=")[0]: p.split("=")[1] for p in file.relative_to(folder).parts[:-1]
                if "=" in p}
        rows += [{**r, **part} for r in table.to_pylist()]
    return rows


def test_resolve_choice_on_a_mixed_type_column(spark_workspace: Workspace) -> None:
    ws = spark_workspace
    source = ws.settings.workspace / "s3" / "in" / "orders"
    source.mkdir(parents=True)
    lines = [{"id": 1, "price": 10, "country": "fr", "customer": {"name": "Ada"}},
             {"id": 2, "price": "12.5", "country": "de", "customer": {"name": "Bo"}},
             {"id": 3, "price": 7.25, "country": "fr", "customer": {"name": "Cy"}, "note": None}]
    (source / "part-1.json").write_text("\n".join(json.dumps(x) for x in lines) +
                                        "\nthis is not json\n")
    record = run_script(ws, SCRIPTS / "mixed_types.py", [
        "--JOB_NAME", "orders", "--source", "s3://in/orders/", "--target",
        "s3://out/orders_clean/", "--enable-metrics", "true", "--TempDir", "s3://tmp/"])
    assert record.state == "SUCCEEDED", record.message
    assert (record.rows_read, record.rows_written, record.error_records) == (3, 3, 1)
    log = Path(record.log_path).read_text()
    assert "|-- price: choice" in log and "|    |-- string" in log
    table = ws.catalog.table("sales.orders_clean")
    assert [c.name for c in table.partition_keys] == ["country"]
    assert {c.name: c.type for c in table.columns} == {
        "order_id": "bigint", "price": "double", "customer_name": "string"}
    assert sorted(p.values for p in ws.catalog.partitions("sales.orders_clean")) == [
        ("de",), ("fr",)]
    rows = sorted(ws.spark.table("sales.orders_clean").collect(), key=lambda r: r.order_id)
    assert [(r.order_id, r.price, r.customer_name, r.country) for r in rows] == [
        (1, 10.0, "Ada", "fr"), (2, 12.5, "Bo", "de"), (3, 7.25, "Cy", "fr")]


def test_join_and_relationalize_nested_json(spark_workspace: Workspace, tmp_path: Path) -> None:
    ws = spark_workspace
    people = tmp_path / "persons"
    people.mkdir()
    (people / "p.json").write_text("\n".join(json.dumps(x) for x in [
        {"id": "p1", "name": "Ann", "contact_details": [{"type": "email", "value": "a@x"},
                                                        {"type": "fax", "value": "1"}]},
        {"id": "p2", "name": "Ben", "contact_details": [{"type": "email", "value": "b@x"}]}]))
    members = tmp_path / "memberships"
    members.mkdir()
    (members / "m.json").write_text("\n".join(json.dumps(x) for x in [
        {"person_id": "p1", "org": "senate"}, {"person_id": "p2", "org": "house"},
        {"person_id": "p3", "org": "house"}]))
    ws.catalog.crawl(people, "legislators")
    ws.catalog.crawl(members, "legislators")
    record = run_script(ws, SCRIPTS / "join_relationalize.py", ["--JOB_NAME", "history"])
    assert record.state == "SUCCEEDED", record.message
    out = ws.settings.workspace / "s3" / "warehouse" / "history"
    root = sorted(_parquet_rows(out / "hist_root"), key=lambda r: str(r["name"]))
    assert [(r["name"], r["org"]) for r in root] == [("Ann", "senate"), ("Ben", "house")]
    contacts = _parquet_rows(out / "hist_root_contact_details")
    by_id = {r["contact_details"]: r["name"] for r in root}
    got = sorted((by_id[c["id"]], c["index"], c["contact_details.val.type"]) for c in contacts)
    assert got == [("Ann", 0, "email"), ("Ann", 1, "fax"), ("Ben", 0, "email")]


def _events(root: Path, day: int, ids: range) -> None:
    write_csv(root / f"day={day}" / "part.csv", ["id", "amount"], [[i, i * 1.5] for i in ids])


def test_bookmarked_incremental_loads(spark_workspace: Workspace, tmp_path: Path) -> None:
    ws = spark_workspace
    raw = tmp_path / "events"
    _events(raw, 1, range(0, 5))
    _events(raw, 2, range(5, 8))
    ws.catalog.crawl(raw, "raw")
    args = ["--JOB_NAME", "load", "--job-bookmark-option", "job-bookmark-enable",
            "--fail_after_write", "no"]
    lake = ws.settings.workspace / "s3" / "lake" / "events"

    first = run_script(ws, SCRIPTS / "incremental.py", args)
    assert first.state == "SUCCEEDED", first.message
    assert first.rows_read == 8 and len(_parquet_rows(lake)) == 8

    _events(raw, 3, range(8, 10))
    second = run_script(ws, SCRIPTS / "incremental.py", args)
    assert second.rows_read == 2, "only the new file is read"
    assert sorted(int(r["id"]) for r in _parquet_rows(lake)) == list(range(10))

    _events(raw, 4, range(10, 13))
    bookmark_before = BookmarkStore(ws.catalog.database).show("load")
    crashed = run_script(ws, SCRIPTS / "incremental.py", [*args[:-1], "yes"])
    assert crashed.state == "FAILED" and "simulated crash" in crashed.message
    script_lines = (SCRIPTS / "incremental.py").read_text().splitlines()
    line = next(i for i, text in enumerate(script_lines, 1) if "raise RuntimeError" in text)
    assert f"incremental.py:{line}" in crashed.message
    assert len(_parquet_rows(lake)) == 10, "a failed run publishes no files"
    assert BookmarkStore(ws.catalog.database).show("load") == bookmark_before
    assert not list(ws.settings.staging.glob("etl-*"))

    rerun = run_script(ws, SCRIPTS / "incremental.py", args)
    assert rerun.rows_read == 3
    assert sorted(int(r["id"]) for r in _parquet_rows(lake)) == list(range(13))
    disabled = run_script(ws, SCRIPTS / "incremental.py",
                          ["--JOB_NAME", "load", "--job-bookmark-option",
                           "job-bookmark-disable", "--fail_after_write", "yes"])
    assert disabled.rows_read == 13 and disabled.state == "FAILED"
    _events(raw, 5, range(13, 15))
    marks = BookmarkStore(ws.catalog.database).show("load")
    pause = ["--JOB_NAME", "load", "--job-bookmark-option", "job-bookmark-pause",
             "--fail_after_write", "no"]
    assert run_script(ws, SCRIPTS / "incremental.py", pause).rows_read == 2
    assert BookmarkStore(ws.catalog.database).show("load") == marks, "pause does not advance"
    assert run_script(ws, SCRIPTS / "incremental.py", args).rows_read == 2


def test_script_errors_are_reported_with_their_line(spark_workspace: Workspace,
                                                    tmp_path: Path) -> None:
    ws = spark_workspace
    broken = tmp_path / "broken.py"
    broken.write_text("x = 1\nif x\n    pass\n")
    record = run_script(ws, broken, [])
    assert record.state == "FAILED" and "SyntaxError" in record.message
    assert f"{broken}:2" in record.message
    missing = tmp_path / "missing.py"
    missing.write_text(
        "from awsglue.context import GlueContext\nfrom pyspark.context import SparkContext\n"
        "glue = GlueContext(SparkContext.getOrCreate())\n"
        "glue.create_dynamic_frame.from_catalog(database='nope', table_name='t')\n")
    record = run_script(ws, missing, [])
    assert record.state == "FAILED"
    assert "Unknown database 'nope'" in record.message and f"{missing}:4" in record.message


def test_missing_job_argument_is_named(spark_workspace: Workspace) -> None:
    record = run_script(spark_workspace, SCRIPTS / "mixed_types.py", ["--JOB_NAME", "x"])
    assert record.state == "FAILED" and "--source is required" in record.message


@pytest.fixture(autouse=True)
def _no_leftover_s3_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPARKGROVE_S3_ROOT", raising=False)


KILLED_SCRIPT = """
import sys, time
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
args = getResolvedOptions(sys.argv, ["JOB_NAME"])
glue = GlueContext(SparkContext())
job = Job(glue)
job.init(args["JOB_NAME"], args)
frame = glue.create_dynamic_frame.from_catalog(database="raw", table_name="events",
                                               transformation_ctx="events")
glue.write_dynamic_frame.from_catalog(frame=frame, database="lake", table_name="copy")
print("WRITTEN", flush=True)
time.sleep(120)
job.commit()
"""


def test_a_killed_run_leaves_no_output_and_no_bookmark(spark_workspace: Workspace,
                                                       tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from sparkgrove.etl.runner import list_runs
    from sparkgrove.store.catalog_store import TableWrite
    from sparkgrove.store.entities import ColumnSpec

    ws = spark_workspace
    raw = tmp_path / "events"
    _events(raw, 1, range(0, 4))
    ws.catalog.crawl(raw, "raw")
    lake = tmp_path / "lake_copy"
    lake.mkdir()
    ws.catalog.create_database("lake")
    ws.catalog.save_table(TableWrite("lake", "copy", str(lake), "parquet",
                                     (ColumnSpec("id", "int"), ColumnSpec("amount", "double"),
                                      ColumnSpec("day", "int"))))
    script = tmp_path / "slow.py"
    script.write_text(KILLED_SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sparkgrove", "--workspace", str(ws.settings.workspace),
         "--master", "local[1]", "etl", "run", str(script), "--JOB_NAME", "slow",
         "--job-bookmark-option", "job-bookmark-enable"],
        stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and "WRITTEN" not in proc.stdout.readline():
        pass
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not list(lake.rglob("*.parquet")), "no file of the killed run is visible"
    assert BookmarkStore(ws.catalog.database).show("slow") == []
    assert [r.state for r in list_runs(ws, "slow")] == ["INTERRUPTED"]
    fast = tmp_path / "fast.py"
    fast.write_text(KILLED_SCRIPT.replace("time.sleep(120)", "pass"))
    done = run_script(ws, fast, ["--JOB_NAME", "slow", "--job-bookmark-option",
                                 "job-bookmark-enable"])
    assert done.state == "SUCCEEDED" and done.rows_written == 4
    assert ws.spark.table("lake.copy").count() == 4


PUBLISH_SCRIPT = """
import sys
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
args = getResolvedOptions(sys.argv, ["JOB_NAME"])
glue = GlueContext(SparkContext())
job = Job(glue)
job.init(args["JOB_NAME"], args)
frame = glue.create_dynamic_frame.from_catalog(database="raw", table_name="events",
                                               transformation_ctx="events")
glue.write_dynamic_frame.from_options(
    frame=frame.repartition(3), connection_type="s3", format="parquet",
    connection_options={"path": "s3://lake/published/", "partitionKeys": ["day"]})
glue.write_dynamic_frame.from_catalog(frame=frame, database="lake", table_name="copy")
job.commit()
"""


@pytest.mark.parametrize("crash_at", ["publish.move", "publish.catalog"])
def test_a_run_killed_during_its_publish_is_finished_never_doubled(
        spark_workspace: Workspace, tmp_path: Path, crash_at: str) -> None:
    import os
    import subprocess
    import sys

    from sparkgrove.etl.runner import list_runs
    from sparkgrove.store.catalog_store import TableWrite
    from sparkgrove.store.entities import ColumnSpec

    ws = spark_workspace
    raw = tmp_path / "events"
    _events(raw, 1, range(0, 6))
    _events(raw, 2, range(6, 10))
    ws.catalog.crawl(raw, "raw")
    lake = tmp_path / "lake_copy"
    lake.mkdir()
    ws.catalog.create_database("lake")
    ws.catalog.save_table(TableWrite("lake", "copy", str(lake), "parquet",
                                     (ColumnSpec("id", "int"), ColumnSpec("amount", "double"),
                                      ColumnSpec("day", "int"))))
    script = tmp_path / "publish.py"
    script.write_text(PUBLISH_SCRIPT)
    cli = [sys.executable, "-m", "sparkgrove", "--workspace", str(ws.settings.workspace),
           "--master", "local[1]", "etl", "run", str(script), "--JOB_NAME", "pub",
           "--job-bookmark-option", "job-bookmark-enable"]
    killed = subprocess.run(cli, env={**os.environ, "SPARKGROVE_CRASH_AT": crash_at},
                            capture_output=True, text=True, timeout=300, check=False)
    assert killed.returncode == 137, killed.stderr[-2000:]
    journal = ws.settings.staging / "journal"
    assert len(list(journal.glob("publish-*.json"))) == 1, "the plan outlived the kill"
    # Any command that opens the workspace next finishes the publish before it reads: the
    # target is never seen half published.
    listed = subprocess.run([*cli[:3], "--workspace", str(ws.settings.workspace), "catalog",
                             "show", "lake.copy", "--json"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert '"recordCount": "10"' in listed.stdout
    assert not list(journal.glob("publish-*.json"))
    rerun = subprocess.run(cli, capture_output=True, text=True, timeout=300, check=False)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    published = ws.settings.workspace / "s3" / "lake" / "published"
    assert ws.spark.read.parquet(str(published)).count() == 10, "every row once, none twice"
    assert ws.spark.read.parquet(str(lake)).count() == 10
    assert ws.catalog.table("lake.copy").properties["recordCount"] == "10"
    assert not list(journal.glob("publish-*.json"))
    runs = list_runs(ws, "pub")
    assert [(r.state, r.rows_written) for r in runs] == [("SUCCEEDED", 0), ("SUCCEEDED", 0)]
    assert "published on recovery" in runs[1].message
    assert not [p for p in ws.settings.staging.iterdir() if p.name != "journal"]
