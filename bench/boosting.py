"""Boosting and high-cardinality categories: sparkgrove's local engine beside LightGBM and
scikit-learn, in one run, alternating the peers over repeats; prints medians and ratios.

1. 100 boosted trees of depth 5 on ``make_classification(ROWS x 28)`` (the data of
   bench/trees.py), 32 bins, 2 threads, learning rate 0.1: sparkgrove's ``GBTClassifier``
   (``leaf_values="newton"``, and MLlib's gradient leaves) against LightGBM's 100 rounds with the
   same depth and bins.
2. A census-income-like table (generated: 150k rows, 40 columns, 12 of them strings with 9 to
   3,000 categories, missing values, an income label driven by several of them), default settings
   with 100 boosting rounds: sparkgrove's ``GBTClassifier`` against LightGBM (pandas ``category``
   columns) and scikit-learn's ``HistGradientBoostingClassifier`` (``categorical_features=
   "from_dtype"``; it needs <= 255 categories, so its wider columns are ordinal-encoded).

Run: ``.venv/bin/pip install -e '.[bench]'; .venv/bin/python bench/boosting.py``
(``--rows 200000 --repeats 3`` for a quicker run).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd


def _timed(fit: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    model = fit()
    return time.perf_counter() - start, model


def _run(peers: dict[str, Callable[[], Any]], score: Callable[[str, Any], float],
         repeats: int) -> dict[str, tuple[float, float]]:
    times: dict[str, list[float]] = {name: [] for name in peers}
    scores: dict[str, float] = {}
    for _ in range(repeats):
        for name, fit in peers.items():  # alternate the peers within each repeat
            seconds, model = _timed(fit)
            times[name].append(seconds)
            scores[name] = score(name, model)
    return {name: (statistics.median(times[name]), scores[name]) for name in peers}


def _report(title: str, results: dict[str, tuple[float, float]]) -> None:
    ours = results["sparkgrove"][0]
    print(f"\n{title}")
    print(f"{'peer':<28}{'median fit s':>14}{'vs sparkgrove':>16}{'test accuracy':>16}")
    for name, (seconds, accuracy) in results.items():
        print(f"{name:<28}{seconds:>14.3f}{seconds / ours:>15.2f}x{accuracy:>16.4f}")


def boosting_bench(rows: int, repeats: int) -> None:
    import lightgbm as lgb
    from sklearn.datasets import make_classification

    from sparkgrove.trees import GBTClassifier

    X, y = make_classification(n_samples=rows, n_features=28, n_informative=14, random_state=0)
    cut = int(rows * 0.8)
    Xtr, Xte, ytr, yte = X[:cut], X[cut:], y[:cut], y[cut:]
    GBTClassifier(max_iter=2).fit(Xtr[:2000], ytr[:2000])  # numba's cache, not timed
    peers = {
        "sparkgrove": lambda: GBTClassifier(
            max_iter=100, max_depth=5, max_bins=32, step_size=0.1, leaf_values="newton",
            n_threads=2).fit(Xtr, ytr),
        "sparkgrove, MLlib's leaves": lambda: GBTClassifier(
            max_iter=100, max_depth=5, max_bins=32, step_size=0.1, n_threads=2).fit(Xtr, ytr),
        "LightGBM": lambda: lgb.LGBMClassifier(
            n_estimators=100, max_depth=5, num_leaves=32, max_bin=32, learning_rate=0.1,
            n_jobs=2, verbose=-1).fit(Xtr, ytr),
    }
    results = _run(peers, lambda _n, m: float((m.predict(Xte) == yte).mean()), repeats)
    _report(f"100 boosted trees, depth 5, {rows:,} x 28 rows (80/20 split), 2 threads", results)


def census_like(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A census-income-like table: numbers, strings of 9 to 3,000 categories, missing values."""
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {}
    score = np.zeros(n)
    arities = [9, 16, 7, 15, 6, 42, 51, 87, 120, 400, 1200, 3000]
    for j, arity in enumerate(arities):
        weights = rng.zipf(1.6, size=arity).astype(float)
        codes = rng.choice(arity, size=n, p=weights / weights.sum())
        effect = rng.normal(scale=0.6, size=arity)
        score += effect[codes] * (1.0 if j % 3 else 0.5)
        column = np.array([f"c{j}_{k}" for k in range(arity)], dtype=object)[codes]
        column[rng.random(n) < 0.02] = None
        data[f"cat_{j}"] = column
    for j in range(28):
        values = rng.normal(size=n) if j % 2 else rng.exponential(size=n)
        if j < 8:
            score += np.sin(values * (j + 1)) * 0.4
        values[rng.random(n) < 0.03] = np.nan
        data[f"num_{j}"] = values.round(3)
    label = np.where(score + rng.logistic(scale=0.7, size=n) > np.quantile(score, 0.76),
                     ">50K", "<=50K")
    return pd.DataFrame(data), label


def census_bench(rows: int, repeats: int) -> None:
    import lightgbm as lgb
    from sklearn.ensemble import HistGradientBoostingClassifier

    from sparkgrove.trees import GBTClassifier

    frame, label = census_like(rows)
    cut = int(rows * 0.8)
    train, test, ytr, yte = frame.iloc[:cut], frame.iloc[cut:], label[:cut], label[cut:]
    strings = [c for c in frame.columns if c.startswith("cat_")]
    categorical = frame.astype({c: "category" for c in strings})
    cat_train, cat_test = categorical.iloc[:cut], categorical.iloc[cut:]
    # scikit-learn's native categories need <= 255 values: wider columns become ordinal codes
    ordinal = categorical.copy()
    for c in strings:
        if len(categorical[c].cat.categories) > 255:
            ordinal[c] = categorical[c].cat.codes.replace(-1, np.nan).astype(float)
    ord_train, ord_test = ordinal.iloc[:cut], ordinal.iloc[cut:]
    GBTClassifier(max_iter=2).fit(train.head(2000), ytr[:2000])
    peers = {
        "sparkgrove": lambda: GBTClassifier(max_iter=100, leaf_values="newton",
                                            n_threads=2).fit(train, ytr),
        "sparkgrove, MLlib's leaves": lambda: GBTClassifier(max_iter=100, n_threads=2).fit(
            train, ytr),
        "LightGBM": lambda: lgb.LGBMClassifier(n_estimators=100, n_jobs=2, verbose=-1).fit(
            cat_train, ytr),
        "scikit-learn HistGB": lambda: HistGradientBoostingClassifier(
            max_iter=100, categorical_features="from_dtype", early_stopping=False).fit(
            ord_train, ytr),
    }
    inputs = {"sparkgrove": test, "sparkgrove, MLlib's leaves": test, "LightGBM": cat_test,
              "scikit-learn HistGB": ord_test}
    results = _run(peers, lambda name, m: float((m.predict(inputs[name]) == yte).mean()),
                   repeats)
    _report(f"census-like table, {rows:,} rows x 40 columns (12 strings, up to 3,000 "
            "categories), 100 rounds, default settings otherwise", results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the 28-column data")
    parser.add_argument("--census-rows", type=int, default=150_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=("census", "boosting"),
                        help="run one of the two benchmarks")
    args = parser.parse_args()
    if args.only != "boosting":
        census_bench(args.census_rows, args.repeats)
    if args.only != "census":
        boosting_bench(args.rows, args.repeats)


if __name__ == "__main__":
    main()
