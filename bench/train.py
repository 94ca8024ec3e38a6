"""`sparkgrove train` against a hand-written pyspark.ml script, side by side, in one run.

Both run as whole processes (JVM start included) on the same generated CSV table, alternating,
and the script prints the median of each and their ratio (target: at most 1.10). It then times
the phases of the demo in-process.

    .venv/bin/python bench/train.py [--rows 200000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def make_table(path: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 8)).round(4)
    color = rng.choice(["red", "green", "blue", "amber"], size=rows)
    score = x[:, 0] + 0.5 * x[:, 1] - x[:, 2] * x[:, 3] + (color == "red") * 0.7
    label = np.where(score + rng.normal(scale=0.5, size=rows) > 0.3, "yes", "no")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([f"x{i}" for i in range(8)] + ["color", "label"])
        for i in range(rows):
            writer.writerow([*x[i].tolist(), color[i], label[i]])


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sg-bench-"))
    data = work / "raw" / "events" / "part-0.csv"
    make_table(data, args.rows)
    ws = work / "ws"
    cli = [sys.executable, "-m", "sparkgrove.cli.main", "--workspace", str(ws), "--master",
           "local[2]"]
    subprocess.run([*cli, "crawl", str(data.parent), "--database", "bench", "--json"],
                   check=True, stdout=subprocess.DEVNULL)
    ours, theirs = [], []
    for i in range(args.repeats):
        theirs.append(timed([sys.executable, str(HERE / "handwritten_train.py"), str(data),
                             str(work / f"hand-{i}")]))
        ours.append(timed([*cli, "train", "bench.events", "--label", "label", "--max-depth", "5",
                           "--seed", "42", "--json"]))
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"rows={args.rows} repeats={args.repeats} (whole processes, local[2])")
    print(f"sparkgrove train       median {a:6.2f}s  runs {[round(t, 2) for t in ours]}")
    print(f"hand-written pyspark   median {b:6.2f}s  runs {[round(t, 2) for t in theirs]}")
    print(f"ratio sparkgrove/hand  {a / b:.3f}  (target <= 1.10)")

    from sparkgrove import Workspace, load_settings
    from sparkgrove.demo import run_demo

    marks: list[tuple[str, float]] = []
    start = time.perf_counter()
    workspace = Workspace(load_settings(workspace=work / "demo-ws", spark_master="local[2]"))
    run_demo(workspace, lambda m: marks.append((m, time.perf_counter())))
    end = time.perf_counter()
    print("\ndemo phases (in-process, JVM start inside the first Spark phase):")
    bounds = [*marks, ("end", end)]
    for (name, t0), (_, t1) in itertools.pairwise(bounds):
        print(f"  {t1 - t0:6.2f}s  {name}")
    print(f"  {end - start:6.2f}s  total")


if __name__ == "__main__":
    main()
