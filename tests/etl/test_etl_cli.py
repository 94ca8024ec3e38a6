"""`sparkgrove etl run|runs|bookmark` end to end (in-process, sharing the test session)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sparkgrove.cli.main import app
from tests.helpers import write_csv

SCRIPT = """
import sys
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
args = getResolvedOptions(sys.argv, ["JOB_NAME"])
glue = GlueContext(SparkContext())
job = Job(glue)
job.init(args["JOB_NAME"], args)
frame = glue.create_dynamic_frame.from_catalog(database="raw", table_name="t",
                                               transformation_ctx="src")
print("ROWS", frame.count())
glue.write_dynamic_frame.from_options(frame=frame, connection_type="s3",
                                      connection_options={"path": "s3://out/t/"},
                                      format="json")
job.commit()
"""


def test_etl_commands(spark: object, tmp_path: Path) -> None:
    runner = CliRunner()
    ws = tmp_path / "ws"
    base = ["--workspace", str(ws), "--master", "local[2]"]
    write_csv(tmp_path / "t" / "a.csv", ["id", "v"], [[1, 2.0], [2, 3.0]])
    assert runner.invoke(app, [*base, "crawl", str(tmp_path / "t"), "-d", "raw"]).exit_code == 0
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    args = ["--JOB_NAME", "copy", "--job-bookmark-option", "job-bookmark-enable"]
    first = runner.invoke(app, [*base, "etl", "run", str(script), *args, "--json"])
    assert first.exit_code == 0, first.output
    record = json.loads(first.stdout[first.stdout.index("{"):])
    assert record["state"] == "SUCCEEDED" and record["rows_written"] == 2
    assert "ROWS 2" in Path(record["log_path"]).read_text()
    shown = json.loads(runner.invoke(app, [*base, "etl", "bookmark", "show", "copy",
                                           "--json"]).stdout)
    assert [b["transformation_ctx"] for b in shown] == ["src"] and len(shown[0]["files"]) == 1
    second = runner.invoke(app, [*base, "etl", "run", str(script), *args, "--json"])
    assert json.loads(second.stdout[second.stdout.index("{"):])["rows_read"] == 0
    reset = runner.invoke(app, [*base, "etl", "bookmark", "reset", "copy"])
    assert "Reset 1 bookmark" in reset.stdout
    runs = json.loads(runner.invoke(app, [*base, "etl", "runs", "--json"]).stdout)
    assert [r["state"] for r in runs] == ["SUCCEEDED", "SUCCEEDED"]
    broken = tmp_path / "broken.py"
    broken.write_text("raise ValueError('bad input row')\n")
    failed = runner.invoke(app, [*base, "etl", "run", str(broken)])
    assert failed.exit_code == 8 and "ValueError: bad input row" in failed.stdout
