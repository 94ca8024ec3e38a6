from sparkgrove.demo import DEMO_DATABASE, MALFORMED_LINES, NEW_ARRIVALS, run_demo
from sparkgrove.workspace import Workspace


def test_demo_runs_the_whole_story(spark_workspace: Workspace) -> None:
    ws = spark_workspace
    steps: list[str] = []
    result = run_demo(ws, steps.append)
    history = result.crawls[0]
    assert history.malformed == sum(len(v) for v in MALFORMED_LINES.values())
    assert [c.name for c in history.tables[0].partition_keys] == ["year"]
    assert result.train is not None and result.predict is not None
    assert result.train.metrics["accuracy"] > 0.85
    assert result.etl is not None and result.etl.state == "SUCCEEDED"
    # The cut-off line is an error record of the ETL job; the line with text in a number
    # column makes that column a choice, as AWS Glue reads it, which the job's ApplyMapping
    # cast settles (the text value becomes null, the record is kept).
    assert result.etl.error_records == 1
    assert result.train.model_version.lineage["table"] == f"{DEMO_DATABASE}.penguins_clean"
    assert ws.catalog.table(f"{DEMO_DATABASE}.penguins_clean").format == "parquet"
    assert result.predict.rows == NEW_ARRIVALS
    assert {r["prediction"] for r in result.sample} <= {"Adelie", "Chinstrap", "Gentoo"}
    assert ws.catalog.table(f"{DEMO_DATABASE}.new_penguins_scored_v1").format == "parquet"
    again = run_demo(ws)
    assert again.crawls[0].unchanged_files == len(history.tables) * 3
    assert again.etl is not None and again.etl.rows_read == 0  # bookmarks: nothing new
    assert ws.spark.table(f"{DEMO_DATABASE}.penguins_clean").count() == \
        result.etl.rows_written - NEW_ARRIVALS
    assert again.train is not None and again.train.model_version.version == 2
    assert len(steps) >= 5
