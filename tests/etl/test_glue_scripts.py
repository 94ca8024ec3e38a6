"""Glue-style scripts in the styles users write them, run unchanged, with exact outputs.

Glue Studio's generated scripts, AWS samples' style, and hand-written jobs mixing plain Spark
with DynamicFrames on ``s3://`` paths. Each script lives in ``scripts/glue/`` as a user would
have it; the test lays out its data, runs it with ``run_script`` and checks what it printed
and wrote.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from sparkgrove.etl.runner import RunRecord, run_script
from sparkgrove.workspace import Workspace
from tests.helpers import write_csv

SCRIPTS = Path(__file__).parent / "scripts" / "glue"


@pytest.fixture(autouse=True)
def _no_leftover_s3_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPARKGROVE_S3_ROOT", raising=False)


def _s3(ws: Workspace, key: str) -> Path:
    return ws.settings.workspace / "s3" / key


def _json_lines(path: Path, records: list[Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")


def _run(ws: Workspace, script: str, *args: str) -> tuple[RunRecord, list[str]]:
    record = run_script(ws, SCRIPTS / script, ["--JOB_NAME", script.removesuffix(".py"),
                                               *args])
    assert record.state == "SUCCEEDED", record.message
    lines = Path(record.log_path).read_text(encoding="utf-8").splitlines()
    return record, [line for line in lines if not line.startswith("WARNING")]


def _parquet(folder: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for file in sorted(folder.rglob("*.parquet")):
        part = {p.split("=")[0]: p.split("=")[1] for p in file.relative_to(folder).parts[:-1]
                if "=" in p}
        rows += [{**r, **part} for r in pq.read_table(file).to_pylist()]
    return rows


def test_glue_studio_script_csv_to_catalog(spark_workspace: Workspace) -> None:
    ws = spark_workspace
    write_csv(_s3(ws, "raw-bucket/sales/2024/a.csv"), ["OrderID", "Region", "Amount"],
              [[1, "north", "10.50"], [2, "south", "3"], [3, "north", "4.25"]])
    write_csv(_s3(ws, "raw-bucket/sales/2025/b.csv"), ["OrderID", "Region", "Amount"],
              [[4, "east", "1"]])
    record, _ = _run(ws, "studio_csv_to_catalog.py")
    assert (record.rows_read, record.rows_written) == (4, 3)
    table = ws.catalog.table("analytics.sales_by_region")
    assert table.format == "parquet" and [c.name for c in table.partition_keys] == ["region"]
    assert {c.name: c.type for c in table.columns} == {"orders": "bigint", "total": "double"}
    rows = sorted(ws.spark.table("analytics.sales_by_region").collect(), key=lambda r: r.region)
    assert [(r.region, r.orders, r.total) for r in rows] == [
        ("east", 1, 1.0), ("north", 2, 14.75), ("south", 1, 3.0)]
    files = [p.name for p in _s3(ws, "curated-bucket/sales_by_region").rglob("*.parquet")]
    assert files and all(f.startswith("run-") and "-part-r-" in f for f in files)


def test_aws_sample_join_and_relationalize(spark_workspace: Workspace, tmp_path: Path) -> None:
    ws = spark_workspace
    data = tmp_path / "us-legislators"
    _json_lines(data / "persons.json", [
        {"id": "p1", "name": "Ann", "family_name": "Lee",
         "contact_details": [{"type": "twitter", "value": "@ann"}]},
        {"id": "p2", "name": "Ben", "family_name": "Ray", "contact_details": []}])
    _json_lines(data / "memberships.json", [
        {"person_id": "p1", "organization_id": "o1", "role": "member"},
        {"person_id": "p2", "organization_id": "o2", "role": "member"}])
    _json_lines(data / "organizations.json", [
        {"id": "o1", "name": "Senate", "classification": "upper",
         "other_names": [{"name": "S"}], "identifiers": [{"scheme": "x"}]},
        {"id": "o2", "name": "House", "classification": "lower",
         "other_names": [], "identifiers": []}])
    for name in ("persons", "memberships", "organizations"):
        ws.catalog.crawl(data / f"{name}.json", "legislators")
    _, log = _run(ws, "samples_legislators.py")
    assert "Count:  2" in log and "|-- family_name: string" in log
    history = sorted(_parquet(_s3(ws, "glue-sample-target/output-dir/legislator_history")),
                     key=lambda r: r["name"])
    assert [(r["name"], r["org_name"], r["classification"]) for r in history] == [
        ("Ann", "Senate", "upper"), ("Ben", "House", "lower")]
    assert "person_id" not in history[0] and "org_id" not in history[0]
    single = _s3(ws, "glue-sample-target/output-dir/legislator_single")
    assert len(list(single.glob("*.parquet"))) == 1 and len(_parquet(single)) == 2
    parted = _s3(ws, "glue-sample-target/output-dir/legislator_part")
    assert sorted(p.name for p in parted.iterdir() if p.is_dir()) == [
        "org_name=House", "org_name=Senate"]
    relational = _s3(ws, "glue-sample-target/relational")
    assert sorted(p.name for p in relational.iterdir()) == [
        "hist_root", "hist_root_contact_details"]
    contacts = _parquet(relational / "hist_root_contact_details")
    assert [(c["index"], c["contact_details.val.type"]) for c in contacts] == [(0, "twitter")]
    assert "Writing to table:  hist_root" in log


def test_csv_choice_resolved_three_ways(spark_workspace: Workspace) -> None:
    ws = spark_workspace
    write_csv(_s3(ws, "raw/prices/p.csv"), ["item", "price"],
              [["a", "1.5"], ["b", "n/a"], ["c", "3"]])
    _, log = _run(ws, "choice_csv.py")
    assert "|-- price: choice" in log and "|    |-- double" in log
    assert "cast ['item', 'price'] [('a', 1.5), ('b', None), ('c', 3.0)]" in log
    assert ("cols ['item', 'price_double', 'price_string'] "
            "[('a', 1.5, None), ('b', None, 'n/a'), ('c', 3.0, None)]") in log
    assert "project ['item', 'price'] [('a', None), ('b', 'n/a'), ('c', None)]" in log


def test_plain_spark_and_dynamicframes_share_s3_paths(spark_workspace: Workspace) -> None:
    ws = spark_workspace
    _json_lines(_s3(ws, "landing/events/e1.json"), [
        {"day": "d1", "clicks": 1}, {"day": "d1", "clicks": 4}, {"day": "d2", "clicks": 2}])
    _, log = _run(ws, "mixed_dataframes_s3.py", "--input_path", "s3://landing/events/",
                  "--output_path", "s3a://curated/web/")
    assert "plain [('d1', 5), ('d2', 2)]" in log
    assert list(_s3(ws, "curated/web/daily").glob("part-*.parquet"))
    busy = list(_s3(ws, "curated/web/busy").glob("run-*.json"))
    assert len(busy) == 1 and len(busy[0].read_text().splitlines()) == 2
    assert "busy 2" in log


def test_apply_mapping_names_as_aws_documents(spark_workspace: Workspace) -> None:
    ws = spark_workspace
    _json_lines(_s3(ws, "raw/users/u.json"), [
        {"userId": 1, "this.old.name": "x", "profile": {"city": "Oslo", "zip": "0150"}},
        {"userId": 2, "this.old.name": "y", "profile": {"city": "Bergen", "zip": "5003"}}])
    _, log = _run(ws, "nested_mapping.py")
    assert ("struct<id:bigint,thisNewName:string,address:struct<city:string,zip:int>>"
            in log)
    assert ("[(('id', 1), ('thisNewName', 'x'), ('address', {'city': 'Oslo', 'zip': 150})), "
            "(('id', 2), ('thisNewName', 'y'), ('address', {'city': 'Bergen', 'zip': 5003}))]"
            in log)
    assert "struct<id:bigint,address:struct<city:string>>" in log
    assert "struct<id:bigint,thisNewName:string,address:struct<city:string>>" in log
    assert "struct<id:bigint,thisNewName:string,address:struct<town:string,zip:int>>" in log


def test_join_keywords_and_shared_field_names(spark_workspace: Workspace) -> None:
    _, log = _run(spark_workspace, "join_shared_names.py")
    assert "['id', 'name', 'dept', '.id', '.name']" in log
    assert "[(1, 'ann', 10, 10, 'sales'), (2, 'ben', 20, 20, 'ops')]" in log


def test_record_functions_and_error_records(spark_workspace: Workspace) -> None:
    ws = spark_workspace
    _json_lines(_s3(ws, "raw/orders/o.json"), [
        {"id": 1, "qty": 2, "price": 15.0, "customer": {"name": "ann"}},
        {"id": 2, "qty": 1, "price": 5.0, "customer": {"name": "ben"}},
        {"id": 3, "qty": 3, "price": 10.0, "customer": {"name": "cy"}},
        {"id": 4, "qty": None, "price": 10.0, "customer": {"name": "dee"}}])
    record, log = _run(ws, "map_filter_records.py")
    assert "[(1, 30.0, 'ANN'), (3, 30.0, 'CY')]" in log
    assert "errors 1 1 ['TypeError']" in log
    assert record.error_records == 0  # read cleanly; the Map's error record is the script's


def test_collection_transforms(spark_workspace: Workspace) -> None:
    ws = spark_workspace
    _json_lines(_s3(ws, "raw/people/p.json"), [
        {"name": "ann", "age": 41, "city": "Oslo"}, {"name": "ben", "age": 25, "city": "Rome"},
        {"name": "cy", "age": 33, "city": "Lima"}])
    _, log = _run(ws, "collections_split.py")
    assert "['basics', 'rest']" in log
    assert "['name', 'age'] ['city']" in log
    assert "{'older': 2, 'younger': 1}" in log
    assert "{'older': ['name'], 'younger': ['name']}" in log
    assert "['older_n', 'older_other', 'younger_n', 'younger_other']" in log


def test_resolved_options_and_boto3(spark_workspace: Workspace) -> None:
    _, log = _run(spark_workspace, "options_and_boto3.py", "--day", "2024-01-02")
    assert ("['JOB_ID', 'JOB_NAME', 'JOB_RUN_ID', 'RedshiftTempDir', "
            "'SECURITY_CONFIGURATION', 'TempDir', 'day', 'enable_data_lineage', "
            "'encryption_type', 'job_bookmark_from', 'job_bookmark_option', "
            "'job_bookmark_to']") in log
    assert ("options_and_boto3 2024-01-02 job-bookmark-disable "
            "s3://sparkgrove-temp/options_and_boto3/ True S3") in log


def test_get_source_purge_and_glueparquet(spark_workspace: Workspace) -> None:
    import os

    ws = spark_workspace
    _json_lines(_s3(ws, "raw/clicks/c.json"), [{"n": i} for i in range(5)])
    old = _s3(ws, "scratch/old/stale.json")
    _json_lines(old, [{"n": 0}])
    os.utime(old, (1_000_000, 1_000_000))
    _, log = _run(ws, "source_purge_glueparquet.py")
    assert "read 5 True" in log
    assert not old.exists()
    written = _parquet(_s3(ws, "curated/clicks"))
    assert sorted(r["n"] for r in written) == [0, 1, 2, 3, 4]


def test_catalog_names_in_any_case_and_merge(spark_workspace: Workspace, tmp_path: Path
                                             ) -> None:
    ws = spark_workspace
    orders = tmp_path / "orders"
    write_csv(orders / "year=2023" / "a.csv", ["id", "amount"], [[1, 1.0]])
    write_csv(orders / "year=2024" / "b.csv", ["id", "amount"], [[2, 2.0], [3, 3.0]])
    ws.catalog.crawl(orders, "shop")
    _, log = _run(ws, "catalog_merge.py")
    assert "[2, 3]" in log
    assert "[(2, 99.0), (3, 3.0), (7, 5.0)]" in log
    assert log[-1] == "3"


def test_not_offered_api_and_java_cause_are_one_line(spark_workspace: Workspace,
                                                     tmp_path: Path) -> None:
    ml = tmp_path / "ml.py"
    ml.write_text("from awsglueml.transforms import FindMatches\n"
                  "FindMatches.apply(frame=None, transformId='tfm-1')\n")
    record = run_script(spark_workspace, ml, [])
    assert record.state == "FAILED"
    assert record.message.startswith("NotOfferedError: FindMatches.__call__ is part of AWS "
                                     "Glue's API but not offered")
    assert f"{ml}:2" in record.message
    java = tmp_path / "java.py"
    java.write_text("from pyspark.context import SparkContext\n"
                    "sc = SparkContext.getOrCreate()\n"
                    "sc._jvm.java.lang.Class.forName('no.such.Klass')\n")
    record = run_script(spark_workspace, java, [])
    assert record.state == "FAILED" and "\n" not in record.message
    assert record.message.startswith(
        "Py4JJavaError: java.lang.ClassNotFoundException: no.such.Klass")
    assert "at py4j" in Path(record.log_path).read_text()


def test_a_bookmarked_run_with_nothing_new_writes_no_files(spark_workspace: Workspace,
                                                           tmp_path: Path) -> None:
    ws = spark_workspace
    script = tmp_path / "copy.py"
    script.write_text(
        "import sys\nfrom awsglue.context import GlueContext\nfrom awsglue.job import Job\n"
        "from awsglue.utils import getResolvedOptions\n"
        "from pyspark.context import SparkContext\n"
        "args = getResolvedOptions(sys.argv, ['JOB_NAME'])\n"
        "glue = GlueContext(SparkContext.getOrCreate())\njob = Job(glue)\n"
        "job.init(args['JOB_NAME'], args)\n"
        "frame = glue.create_dynamic_frame.from_options('s3', {'paths': ['s3://in/x/']}, "
        "'json', transformation_ctx='src')\n"
        "glue.write_dynamic_frame.from_options(frame, 's3', {'path': 's3://out/x/'}, 'json')\n"
        "job.commit()\n")
    _json_lines(_s3(ws, "in/x/a.json"), [{"v": 1}])
    args = ["--JOB_NAME", "copy", "--job-bookmark-option", "job-bookmark-enable"]
    assert run_script(ws, script, args).rows_written == 1
    second = run_script(ws, script, args)
    assert second.state == "SUCCEEDED" and second.rows_read == 0
    assert len([p for p in _s3(ws, "out/x").iterdir()]) == 1, "no empty part files"
