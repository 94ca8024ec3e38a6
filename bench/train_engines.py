"""``sparkgrove train`` as a whole process on a 50,000-row catalog table: the local engine
(in-process Arrow reader, no JVM) against the Spark engine (MLlib), alternating over repeats;
prints medians and the ratio. Also ``sparkgrove predict`` with both engines.

Run: ``.venv/bin/python bench/train_engines.py [--rows 50000 --repeats 3]``
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _table(folder: Path, rows: int) -> None:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    with (folder / "homes.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["State", "Neighbourhood", "Rooms", "Area", "YearBuilt", "Price"])
        for _ in range(rows):
            state, hood = int(rng.integers(0, 50)), int(rng.integers(0, 87))
            rooms, area = int(rng.integers(1, 7)), float(rng.normal(100, 30))
            year = int(rng.integers(1900, 2024))
            price = state * 2 + hood + rooms * 10 + area * 0.5 + (year - 1900) * 0.1
            out.writerow([f"S{state}", f"Hood {hood}", rooms,
                          round(area, 1) if rng.random() > 0.02 else "NA", year,
                          round(price + float(rng.normal(scale=5)), 2)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "sparkgrove")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ws = base / "ws"
        _table(base / "raw" / "homes", args.rows)
        subprocess.run([exe, "--workspace", str(ws), "--master", "local[2]", "crawl",
                        str(base / "raw" / "homes"), "-d", "bench"], check=True,
                       capture_output=True)
        times: dict[str, list[float]] = {}
        for repeat in range(args.repeats):
            for engine in ("local", "spark"):  # alternate the peers within each repeat
                for command in ("train", "predict"):
                    argv = ([exe, "--workspace", str(ws), "--master", "local[2]", "train",
                             "bench.homes", "--label", "price", "--engine", engine, "--model",
                             f"homes_{engine}", "--json"] if command == "train" else
                            [exe, "--workspace", str(ws), "--master", "local[2]", "predict",
                             f"homes_{engine}", "bench.homes", "--output",
                             f"bench.scored_{engine}_{repeat}", "--engine", engine, "--json"])
                    start = time.perf_counter()
                    subprocess.run(argv, check=True, capture_output=True)
                    times.setdefault(f"{command} --engine {engine}", []).append(
                        time.perf_counter() - start)
        print(f"whole process, {args.rows:,}-row catalog table (CSV, 2 string columns of 50 and "
              f"87 categories), median of {args.repeats}")
        for command in ("train", "predict"):
            local = statistics.median(times[f"{command} --engine local"])
            spark = statistics.median(times[f"{command} --engine spark"])
            print(f"  {command:<8} local {local:6.2f} s   spark {spark:6.2f} s   "
                  f"spark/local {spark / local:5.1f}x")


if __name__ == "__main__":
    main()
