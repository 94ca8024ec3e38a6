"""The local tree engine against LightGBM, scikit-learn and MLlib, side by side, in one run.

Data: make_classification(n_samples=1_000_000, n_features=28, n_informative=10,
random_state=0), an 80/20 split; one tree of depth 10 with 32 bins; 2 threads for everyone.
Prints times, ratios, test accuracy, prediction speed, peak fitting memory, the whole-process
comparison (read Parquet, train, write the model) against a pyspark.ml script, a 100k-row run,
a depth-5 run, and a 20-tree forest.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/trees.py [--rows 1000000] [--forest-rows 1000000] [--skip-slow]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("NUMBA_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np

HERE = Path(__file__).resolve().parent
THREADS = 2


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def make_data(rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=rows, n_features=28, n_informative=10, random_state=0)
    cut = int(rows * 0.8)
    return x[:cut], y[:cut], x[cut:], y[cut:]


def ours_fit(x: np.ndarray, y: np.ndarray, depth: int, seed: int = 0) -> Any:
    from sparkgrove.trees import DecisionTreeClassifier

    return DecisionTreeClassifier(max_depth=depth, max_bins=32, n_threads=THREADS,
                                  seed=seed).fit(x, y)


def lightgbm_fit(x: np.ndarray, y: np.ndarray, depth: int) -> Any:
    import lightgbm

    params = {"objective": "binary", "max_depth": depth, "num_leaves": 2**depth,
              "max_bin": 32, "learning_rate": 1.0, "num_threads": THREADS,
              "min_data_in_leaf": 1, "min_sum_hessian_in_leaf": 0.0, "verbose": -1,
              "force_col_wise": True}
    return lightgbm.train(params, lightgbm.Dataset(x, y, params={"max_bin": 32}),
                          num_boost_round=1)


def sklearn_fit(x: np.ndarray, y: np.ndarray, depth: int) -> Any:
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(max_depth=depth, random_state=0).fit(x, y)


def accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    return float((np.asarray(pred).astype(int) == y).mean())


def run_one_tree(rows: int, depth: int, with_sklearn: bool, spark: Any | None) -> dict[str, Any]:
    x, y, xt, yt = make_data(rows)
    ours_fit(x[:5000], y[:5000], depth)  # compile (or load the on-disk cache) before timing
    res: dict[str, Any] = {"rows": rows, "depth": depth}
    t, model = timed(lambda: ours_fit(x, y, depth))
    # Above 10,000 rows thresholds come from a random sample (as in MLlib), so accuracy is
    # reported as the mean over three seeds.
    accs = [accuracy(model.predict(xt), yt)] + [
        accuracy(ours_fit(x, y, depth, seed).predict(xt), yt) for seed in (1, 2)]
    res["sparkgrove"] = {"fit_s": t, "acc": float(np.mean(accs)),
                         "acc_by_seed": [round(a, 4) for a in accs]}
    lightgbm_fit(x[:5000], y[:5000], depth)
    t, booster = timed(lambda: lightgbm_fit(x, y, depth))
    res["lightgbm"] = {"fit_s": t, "acc": accuracy(booster.predict(xt) > 0.5, yt)}
    if with_sklearn:
        t, sk = timed(lambda: sklearn_fit(x, y, depth))
        res["sklearn"] = {"fit_s": t, "acc": accuracy(sk.predict(xt), yt)}
    if spark is not None:
        res["mllib"] = mllib_fit(spark, x, y, xt, yt, depth)
    return res


def to_spark(spark: Any, x: np.ndarray, y: np.ndarray) -> Any:
    import pyarrow as pa
    from pyspark.ml.feature import VectorAssembler

    table = pa.table({**{f"f{i}": x[:, i] for i in range(x.shape[1])}, "label": y.astype(float)})
    frame = spark.createDataFrame(table.to_pandas())
    assembled = VectorAssembler(inputCols=[f"f{i}" for i in range(x.shape[1])],
                                outputCol="features").transform(frame)
    return assembled.select("features", "label").cache()


def mllib_fit(spark: Any, x: np.ndarray, y: np.ndarray, xt: np.ndarray, yt: np.ndarray,
              depth: int) -> dict[str, Any]:
    from pyspark.ml.classification import DecisionTreeClassifier

    train = to_spark(spark, x, y)
    test = to_spark(spark, xt, yt)
    train.count()
    test.count()
    DecisionTreeClassifier(maxDepth=2, maxBins=32).fit(train)  # warm-up
    t, model = timed(lambda: DecisionTreeClassifier(maxDepth=depth, maxBins=32, seed=0).fit(train))
    pred = np.array([r.prediction for r in model.transform(test).select("prediction").collect()])
    train.unpersist()
    test.unpersist()
    return {"fit_s": t, "acc": accuracy(pred, yt)}


def predict_speed(rows: int) -> dict[str, Any]:
    x, y, _, _ = make_data(rows)
    model = ours_fit(x, y, 10).to_tree_model()
    booster = lightgbm_fit(x, y, 10)
    model.predict_index(x[:1000])
    t_ours, _ = timed(lambda: model.predict_index(x))
    t_lgb, _ = timed(lambda: booster.predict(x, num_threads=THREADS))
    return {"rows": x.shape[0], "treemodel_s": t_ours, "lightgbm_s": t_lgb}


MEMORY_PROBE = """
import json, os, sys
os.environ["NUMBA_NUM_THREADS"] = "2"
import numpy as np
from sklearn.datasets import make_classification
from sparkgrove.trees import DecisionTreeClassifier
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
x, y = make_classification(n_samples=ROWS, n_features=28, n_informative=10, random_state=0)
x, y = x[: int(ROWS * 0.8)].copy(), y[: int(ROWS * 0.8)].copy()
DecisionTreeClassifier(max_depth=2).fit(x[:2000], y[:2000])
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current size
base = status("VmRSS:")
DecisionTreeClassifier(max_depth=10, max_bins=32).fit(x, y)
print(json.dumps({"input_bytes": x.nbytes, "peak_above_base": status("VmHWM:") - base}))
"""


def memory_probe(rows: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE.replace("ROWS", str(rows))],
                         capture_output=True, text=True, check=True)
    data: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    data["ratio"] = data["peak_above_base"] / data["input_bytes"]
    return data


OURS_SCRIPT = """
import os, sys
os.environ["NUMBA_NUM_THREADS"] = "2"
import pyarrow.parquet as pq
from sparkgrove.trees import DecisionTreeClassifier
table = pq.read_table(sys.argv[1])
x = table.drop(["label"])
model = DecisionTreeClassifier(max_depth=10, max_bins=32).fit(x, table.column("label"))
model.to_tree_model().save(sys.argv[2])
"""

SPARK_SCRIPT = """
import sys
from pyspark.sql import SparkSession
from pyspark.ml.classification import DecisionTreeClassifier
from pyspark.ml.feature import VectorAssembler
spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
         .config("spark.driver.memory", "4g").getOrCreate())
frame = spark.read.parquet(sys.argv[1])
features = [c for c in frame.columns if c != "label"]
data = VectorAssembler(inputCols=features, outputCol="features").transform(frame)
model = DecisionTreeClassifier(maxDepth=10, maxBins=32, labelCol="label").fit(data)
model.write().overwrite().save(sys.argv[2])
spark.stop()
"""


def whole_process(rows: int, work: Path) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    x, y, _, _ = make_data(rows)
    path = work / "train.parquet"
    pq.write_table(pa.table({**{f"f{i}": x[:, i] for i in range(x.shape[1])},
                             "label": y.astype(float)}), path)
    (work / "ours.py").write_text(OURS_SCRIPT)
    (work / "spark.py").write_text(SPARK_SCRIPT)
    t_ours, _ = timed(lambda: subprocess.run(
        [sys.executable, str(work / "ours.py"), str(path), str(work / "model.json")],
        check=True, capture_output=True))
    t_spark, _ = timed(lambda: subprocess.run(
        [sys.executable, str(work / "spark.py"), str(path), str(work / "mllib")],
        check=True, capture_output=True))
    return {"sparkgrove_s": t_ours, "pyspark_ml_s": t_spark}


def forest(rows: int, spark: Any | None) -> dict[str, Any]:
    from sklearn.ensemble import RandomForestClassifier as SkForest

    from sparkgrove.trees import RandomForestClassifier

    x, y, xt, yt = make_data(rows)
    res: dict[str, Any] = {"rows": rows, "trees": 20, "depth": 10}
    RandomForestClassifier(n_trees=2, max_depth=3).fit(x[:3000], y[:3000])
    t, ours = timed(lambda: RandomForestClassifier(n_trees=20, max_depth=10, max_bins=32, seed=0,
                                                   n_threads=THREADS).fit(x, y))
    res["sparkgrove"] = {"fit_s": t, "acc": accuracy(ours.predict(xt), yt)}
    t, sk = timed(lambda: SkForest(n_estimators=20, max_depth=10, n_jobs=THREADS,
                                   random_state=0).fit(x, y))
    res["sklearn"] = {"fit_s": t, "acc": accuracy(sk.predict(xt), yt)}
    if spark is not None:
        from pyspark.ml.classification import RandomForestClassifier as SparkForest

        train, test = to_spark(spark, x, y), to_spark(spark, xt, yt)
        train.count()
        t, model = timed(lambda: SparkForest(numTrees=20, maxDepth=10, maxBins=32, seed=0
                                             ).fit(train))
        pred = np.array([r.prediction for r in model.transform(test).select("prediction")
                         .collect()])
        res["mllib"] = {"fit_s": t, "acc": accuracy(pred, yt)}
    return res


def show(title: str, res: dict[str, Any]) -> None:
    ours = res["sparkgrove"]
    print(f"\n{title}")
    for name, value in res.items():
        if isinstance(value, dict):
            ratio = value["fit_s"] / ours["fit_s"]
            seeds = f" (seeds: {value['acc_by_seed']})" if "acc_by_seed" in value else ""
            print(f"  {name:<11} fit {value['fit_s']:8.3f}s  acc {value['acc']:.4f}{seeds}  "
                  f"{'' if name == 'sparkgrove' else f'{ratio:6.1f}x sparkgrove time'}  "
                  f"acc diff {100 * (ours['acc'] - value['acc']):+.2f} pts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--forest-rows", type=int, default=1_000_000)
    parser.add_argument("--skip-slow", action="store_true",
                        help="leave out scikit-learn at full size, MLlib and the forest")
    args = parser.parse_args()
    spark = None
    if not args.skip_slow:
        from pyspark.sql import SparkSession

        spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
                 .config("spark.ui.showConsoleProgress", "false")
                 .config("spark.driver.memory", "6g").getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
    show(f"one tree, {args.rows:,} rows, depth 10, 32 bins",
         run_one_tree(args.rows, 10, not args.skip_slow, spark))
    show("one tree, 100,000 rows, depth 10", run_one_tree(100_000, 10, True, spark))
    show(f"one tree, {args.rows:,} rows, depth 5", run_one_tree(args.rows, 5, not args.skip_slow,
                                                                spark))
    speed = predict_speed(args.rows)
    print(f"\npredict {speed['rows']:,} rows: TreeModel {speed['treemodel_s']:.3f}s, LightGBM "
          f"{speed['lightgbm_s']:.3f}s, ratio {speed['treemodel_s'] / speed['lightgbm_s']:.2f}")
    mem = memory_probe(args.rows)
    print(f"peak memory while fitting: {mem['peak_above_base'] / 2**20:.0f} MiB above baseline, "
          f"{mem['ratio']:.2f}x the {mem['input_bytes'] / 2**20:.0f} MiB float input")
    if spark is not None:
        with tempfile.TemporaryDirectory() as tmp:
            whole = whole_process(args.rows, Path(tmp))
        print(f"whole process (read Parquet, train, write model): sparkgrove "
              f"{whole['sparkgrove_s']:.2f}s, pyspark.ml {whole['pyspark_ml_s']:.2f}s, "
              f"{whole['pyspark_ml_s'] / whole['sparkgrove_s']:.1f}x")
        show(f"20-tree forest, {args.forest_rows:,} rows, depth 10",
             forest(args.forest_rows, spark))


if __name__ == "__main__":
    main()
