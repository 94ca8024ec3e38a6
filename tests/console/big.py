"""Large catalog and registry entries for the console's scale checks (tests and bench): a table
with 10,000 partitions and a model whose tree has 10,001 nodes."""

from __future__ import annotations

import numpy as np

from sparkgrove.store.catalog_store import TableWrite
from sparkgrove.store.entities import ColumnSpec
from sparkgrove.trees.model import LEAF, FeatureSpec, LabelSpec, Tree, TreeModel
from sparkgrove.workspace import Workspace

PARTITIONS = 10_000
NODES = 10_001


def add_partitioned_table(ws: Workspace, name: str = "big.events") -> str:
    """Register ``name`` with :data:`PARTITIONS` Hive partitions (day=..., hour=...)."""
    database, table = name.split(".")
    ws.catalog.create_database(database)
    root = ws.settings.workspace / "raw-big" / table
    parts = tuple(((f"2024-{1 + i // 2400:02d}-{1 + i // 100 % 24:02d}", f"{i % 100:02d}"),
                   str(root / f"day={i}" / f"hour={i % 100}")) for i in range(PARTITIONS))
    ws.catalog.save_table(TableWrite(
        database=database, name=table, location=str(root), format="parquet",
        columns=(ColumnSpec("user_id", "bigint"), ColumnSpec("amount", "double")),
        partition_keys=(ColumnSpec("day", "string"), ColumnSpec("hour", "string")),
        partitions=parts))
    return name


def big_tree_model(nodes: int = NODES, features: int = 10) -> TreeModel:
    """A regression tree of ``nodes`` nodes (odd), grown breadth first."""
    assert nodes % 2 == 1
    rng = np.random.default_rng(0)
    feature = np.full(nodes, LEAF, dtype=np.int64)
    left = np.full(nodes, -1, dtype=np.int64)
    right = np.full(nodes, -1, dtype=np.int64)
    splits = (nodes - 1) // 2
    for node in range(splits):  # node i's children are 2i+1 and 2i+2: a complete tree
        feature[node] = node % features
        left[node], right[node] = 2 * node + 1, 2 * node + 2
    count = np.zeros(nodes)
    count[0] = 1e6
    for node in range(splits):
        count[left[node]] = np.floor(count[node] * 0.6)
        count[right[node]] = count[node] - count[left[node]]
    tree = Tree(feature=feature, threshold=np.where(feature == LEAF, np.nan,
                                                    rng.normal(size=nodes).round(3)),
                left_categories=[None] * nodes, left=left, right=right,
                missing_left=np.ones(nodes, dtype=bool), value=rng.normal(size=(nodes, 1)),
                impurity=np.abs(rng.normal(size=nodes)), count=count,
                gain=np.where(feature == LEAF, 0.0, 1.0))
    return TreeModel(features=tuple(FeatureSpec(f"x{i}", "numeric") for i in range(features)),
                     label=LabelSpec("y", "regression"), trees=[tree],
                     feature_importances=tuple([1.0 / features] * features))


def add_big_model(ws: Workspace, name: str = "big_tree") -> str:
    """Register :func:`big_tree_model` as ``name``; return ``name:version``."""
    version = ws.registry.register(name, engine="local", task="regression", params={},
                                   metrics={"rmse": 1.0}, lineage={"table": "big.events"},
                                   tree_model=big_tree_model())
    return version.ref
