"""Training a tree, forest or boosted trees on a catalog table: resolve the request once, at
the border, choose the engine, and hand the run to it (:mod:`~sparkgrove.training.local` or
:mod:`~sparkgrove.training.spark_engine`)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

from sparkgrove.catalog.api import Catalog
from sparkgrove.catalog.arrow_reader import supports
from sparkgrove.errors import ConfigError, DataError
from sparkgrove.names import check_model_name
from sparkgrove.spark import map_spark_errors
from sparkgrove.store.entities import TableInfo
from sparkgrove.training.features import feature_kind, plan_features
from sparkgrove.training.local import train_in_process
from sparkgrove.training.run import ProgressFn, Run, TrainResult
from sparkgrove.trees.params import TreeParams
from sparkgrove.workspace import Workspace

ENGINES = ("auto", "local", "spark")
LOCAL_MEMORY_SHARE = 0.25
"""``auto`` trains locally when the table's float matrix needs at most this share of RAM."""
DEFAULT_TEST_FRACTION = 0.2
DEFAULT_SEED = 42


def _other(engine: str) -> str:
    return "spark" if engine == "local" else "local"


def train_table(
    workspace: Workspace,
    table_name: str,
    *,
    label: str,
    features: Sequence[str] | None = None,
    task: str | None = None,
    params: TreeParams | None = None,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    seed: int = DEFAULT_SEED,
    model_name: str | None = None,
    engine: str = "auto",
    progress: ProgressFn | None = None,
) -> TrainResult:
    """Train on ``db.table`` and register a new version of ``model_name``.

    Rows with a missing label are dropped and counted; malformed rows are counted and kept
    aside; numeric features' missing values are filled with the training rows' median; string
    and boolean columns are categorical, with unseen and missing categories sharing one bucket.
    """
    say = progress or (lambda _m: None)
    params = params or TreeParams(seed=seed)
    if params.seed is None:
        params = dataclasses.replace(params, seed=seed)
    if engine not in ENGINES:
        raise ConfigError(f"The engine must be one of {', '.join(ENGINES)}; got {engine!r}.")
    if model_name is not None:
        check_model_name(model_name)  # before any data is read or fitted
    params.check_common()
    if task is not None and task in ("classification", "regression"):
        params.check(task)
    if not 0.0 < test_fraction < 1.0:
        raise ConfigError(f"--test-fraction must be between 0 and 1 (exclusive); got "
                          f"{test_fraction}.")
    catalog: Catalog = workspace.catalog
    table = catalog.table(table_name)
    label = catalog.resolve_columns(table, [label])[0]
    features = catalog.resolve_columns(table, features) if features else features
    if params.weight_col:
        weight_col = catalog.resolve_columns(table, [params.weight_col])[0]
        params = dataclasses.replace(params, weight_col=weight_col)
        weight_spec = next(c for c in table.all_columns if c.name == weight_col)
        if feature_kind(weight_spec) != "numeric":
            raise DataError(f"The weight column {weight_col!r} of {table.qualified_name} has "
                            f"type {weight_spec.type}; weights must be numbers >= 0. Choose a "
                            "numeric column, or cast it in an ETL job.")
    plan = plan_features(table.all_columns, label, features, params.weight_col)
    label_spec = next(c for c in table.all_columns if c.name == label)
    if engine == "auto":
        # A parameter only one engine honours picks that engine.
        engine = next((e for e in ENGINES[1:] if params.unused(e) == [] and
                       params.unused(_other(e)) != []), None) or choose_engine(
            _estimated_rows(catalog, table), len(plan.features))
    if engine == "spark" and params.leaf_values != "gradient":
        raise ConfigError(f"leaf_values={params.leaf_values!r} is a local-engine option; MLlib's "
                          "GBT sets gradient leaves. Use --engine local, or drop "
                          "--leaf-values.")
    run = Run(workspace, table, plan, label, label_spec, task, params, test_fraction, seed,
               model_name, say, [f"{line}; it has no effect" for line in params.unused(engine)])
    if engine == "local" and supports(table):
        return train_in_process(run)
    from sparkgrove.training.spark_engine import train_on_spark

    with map_spark_errors(f"training on {table.qualified_name}"):
        return train_on_spark(run, engine)


def _estimated_rows(catalog: Catalog, table: TableInfo) -> int:
    """Rows the crawler counted (the engine choice needs no read)."""
    try:
        return int(table.properties.get("recordCount", 0)) or sum(
            f.records for f in catalog.files(table.qualified_name))
    except (TypeError, ValueError):
        return sum(f.records for f in catalog.files(table.qualified_name))


def choose_engine(rows: int, n_features: int, memory: int | None = None) -> str:
    """``local`` when the float matrix fits comfortably in this machine's memory, else
    ``spark``."""
    if memory is None:
        try:
            memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            memory = 4 * 2**30
    needed = rows * (n_features + 2) * 8
    return "local" if needed <= LOCAL_MEMORY_SHARE * memory else "spark"
