"""``sparkgrove demo``: the whole story on a real public dataset, end to end.

The data is the Palmer Archipelago penguins (Gorman, Williams & Fraser 2014; released under CC0
by the palmerpenguins project, and shipped in the ``palmerpenguins`` PyPI package): 344 penguins,
three species, numeric measurements and categorical island and sex, with missing values.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparkgrove.catalog.crawler import CrawlReport
from sparkgrove.errors import EtlError
from sparkgrove.etl.runner import run_script
from sparkgrove.predict import PredictResult, predict_table
from sparkgrove.store.run_store import RunRecord
from sparkgrove.store.states import RunState
from sparkgrove.training import TrainResult, train_table
from sparkgrove.trees.params import TreeParams
from sparkgrove.workspace import Workspace

DEMO_DATABASE = "demo"
ETL_SCRIPT = Path(__file__).with_name("clean_penguins.py")
DEMO_MODEL = "penguin_species"
NEW_ARRIVALS = 30
MALFORMED_LINES = {
    2007: ["this line was cut off by a broken upload"],
    2009: ["Gentoo,Biscoe,47.1,14.5,not-a-number,5000,female"],
}
Step = Callable[[str], None]


def penguins_csv() -> Path:
    """The penguins CSV shipped by the palmerpenguins package."""
    import palmerpenguins

    return Path(palmerpenguins.__file__).parent / "data" / "penguins.csv"


def lay_out_raw_data(root: Path, seed: int = 7) -> tuple[Path, Path]:
    """Write Hive-partitioned CSV files (``year=2007/`` ...) with a few malformed lines, and a
    separate folder of unlabelled new arrivals to score. Returns both folders.

    Folders that already exist are left as they are, so a second demo run re-crawls the same
    files (and finds nothing new) rather than rewriting them."""
    history = root / "penguins"
    arrivals = root / "new_penguins"
    if history.exists() and arrivals.exists():
        return history, arrivals
    with penguins_csv().open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    rng = random.Random(seed)
    rng.shuffle(rows)
    new, known = rows[:NEW_ARRIVALS], rows[NEW_ARRIVALS:]
    columns = ["species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm",
               "body_mass_g", "sex"]
    for year in sorted({int(r["year"]) for r in known}):
        folder = history / f"year={year}"
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "penguins.csv").open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(columns)
            for row in known:
                if int(row["year"]) == year:
                    writer.writerow([row[c] for c in columns])
            for line in MALFORMED_LINES.get(year, []):
                out.write(line + "\n")
    arrivals.mkdir(parents=True, exist_ok=True)
    with (arrivals / "arrivals.json").open("w") as out:
        for i, row in enumerate(new):
            record: dict[str, Any] = {"tag": f"P{i:03d}"}
            for column in columns[1:]:
                value = row[column]
                if value == "NA":
                    record[column] = None
                elif column in ("island", "sex"):
                    record[column] = value
                elif column == "body_mass_g" and i % 3 == 0:
                    record[column] = value  # a scale that sends text: a choice type
                else:
                    record[column] = float(value) if "." in value else int(value)
            out.write(json.dumps(record) + "\n")
    return history, arrivals


@dataclass
class DemoResult:
    """What the demo did and where it left things."""

    crawls: list[CrawlReport] = field(default_factory=list)
    etl: RunRecord | None = None
    train: TrainResult | None = None
    predict: PredictResult | None = None
    sample: list[dict[str, Any]] = field(default_factory=list)
    raw_dir: str = ""


def run_demo(workspace: Workspace, step: Step | None = None) -> DemoResult:
    """Crawl, train, register and score, on the penguins data, in ``workspace``."""
    say = step or (lambda _m: None)
    result = DemoResult()
    raw = workspace.settings.workspace / "raw"
    result.raw_dir = str(raw)
    say("laying out the raw data as Hive-partitioned CSV files")
    history, arrivals = lay_out_raw_data(raw)
    say("crawling the raw files into the catalog")
    result.crawls.append(workspace.catalog.crawl(history, DEMO_DATABASE, table="penguins"))
    result.crawls.append(workspace.catalog.crawl(arrivals, DEMO_DATABASE, table="new_penguins"))
    workspace.refresh_spark_tables()
    say("cleaning the raw tables with a Glue-style ETL job (sparkgrove/demo/clean_penguins.py)")
    result.etl = run_script(workspace, ETL_SCRIPT, [
        "--JOB_NAME", "clean_penguins", "--database", DEMO_DATABASE,
        "--job-bookmark-option", "job-bookmark-enable"])
    if result.etl.state != RunState.SUCCEEDED:
        raise EtlError(f"The demo's ETL job failed: {result.etl.message} (log "
                       f"{result.etl.log_path}).")
    say("training an MLlib decision tree on demo.penguins_clean")
    result.train = train_table(
        workspace, f"{DEMO_DATABASE}.penguins_clean", label="species",
        features=["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm",
                  "body_mass_g", "sex"],
        params=TreeParams(max_depth=4, seed=42), model_name=DEMO_MODEL, engine="spark",
        progress=say)
    version = result.train.model_version
    say("scoring the new arrivals")
    output = f"{DEMO_DATABASE}.new_penguins_scored_v{version.version}"
    result.predict = predict_table(workspace, version.ref,
                                   f"{DEMO_DATABASE}.new_penguins_clean", output)
    rows = workspace.spark.table(output).select("tag", "island", "sex", "prediction").orderBy(
        "tag").limit(8).collect()
    result.sample = [r.asDict() for r in rows]
    return result
