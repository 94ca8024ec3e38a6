"""One training request as resolved at the border, and what every engine does with it:
choose the task, make room for categories, register the result."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sparkgrove.errors import DataError
from sparkgrove.jsonable import to_jsonable
from sparkgrove.store.entities import ColumnSpec, ModelVersion, TableInfo
from sparkgrove.training.features import FeaturePlan, choose_task
from sparkgrove.trees.inputs import MAX_CATEGORIES
from sparkgrove.trees.model import TreeModel
from sparkgrove.trees.params import TreeParams
from sparkgrove.workspace import Workspace

ALGORITHM_NAMES = {"tree": "decision tree", "forest": "random forest",
                   "gbt": "gradient-boosted trees"}
ProgressFn = Callable[[str], None]


@dataclass
class TrainResult:
    """What a training run produced."""

    model_version: ModelVersion
    tree_model: TreeModel
    metrics: dict[str, Any]
    counts: dict[str, int]
    importances: dict[str, float]
    skipped_features: list[tuple[str, str]] = field(default_factory=list)
    rejects_path: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return {
            "model": to_jsonable(self.model_version),
            "metrics": self.metrics,
            "counts": self.counts,
            "feature_importances": self.importances,
            "skipped_features": [{"column": c, "reason": r} for c, r in self.skipped_features],
            "rejects_path": self.rejects_path,
            "notes": self.notes,
        }


def label_text(value: Any) -> str:
    # As Spark casts labels to string (1.0 stays "1.0"), so the class map matches its rows.
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def sorted_classes(values: Sequence[Any]) -> tuple[str, ...]:
    texts = [label_text(v) for v in values]
    try:
        return tuple(sorted(texts, key=float))
    except ValueError:
        return tuple(sorted(texts))


@dataclass
class Run:
    """What one training request resolved to, at the border: the table version and plan."""

    workspace: Workspace
    table: TableInfo
    plan: FeaturePlan
    label: str
    label_spec: ColumnSpec
    task: str | None
    params: TreeParams
    test_fraction: float
    seed: int
    model_name: str | None
    say: ProgressFn
    notes: list[str]
    """What the output says about the request (parameters the engine does not use)."""


def choose_run_task(run: Run, n_distinct: int) -> str:
    """The task from the label's type and distinct values (checked against the parameters)."""
    task = choose_task(run.label_spec, run.task, n_distinct)
    run.params.check(task)
    if run.params.algorithm == "gbt" and task == "classification" and n_distinct != 2:
        raise DataError(f"Gradient-boosted trees classify binary labels only, as MLlib's "
                        f"GBTClassifier does; {run.label!r} has {n_distinct} classes. Use "
                        "--algorithm forest or tree.")
    return task


def register(run: Run, *, engine: str, task: str, params: TreeParams, tree_model: TreeModel,
              metrics: dict[str, Any], counts: dict[str, int], mllib_dir: Any,
              rejects_path: str | None, notes: list[str], reader: dict[str, Any]
              ) -> TrainResult:
    """Record the fitted model as a new registry version, with its lineage."""
    table = run.table
    lineage = {"table": table.qualified_name, "table_version": table.version,
               "location": table.location, **counts,
               "trained_at": dt.datetime.now(dt.UTC).isoformat(), **reader}
    all_params = {"label": run.label, "task": task,
                  "features": [n for n, _ in run.plan.features],
                  "test_fraction": run.test_fraction, "seed": run.seed, **to_jsonable(params)}
    tree_model.metadata.update({"model_params": all_params})
    run.say("registering the model")
    version = run.workspace.registry.register(
        run.model_name or table.name, engine=engine, task=task, params=all_params,
        metrics=metrics, lineage=lineage, tree_model=tree_model, mllib_dir=mllib_dir)
    importances = dict(zip([n for n, _ in run.plan.features], tree_model.feature_importances,
                           strict=True))
    return TrainResult(version, tree_model, metrics, counts, importances,
                       list(run.plan.skipped), rejects_path, [*run.notes, *notes])


def category_room(features: Sequence[tuple[str, str]], counts: dict[str, int],
                   params: TreeParams) -> tuple[TreeParams, list[str]]:
    """From each column's distinct categories (or numeric values present): refuse empty numeric
    columns, and raise ``max_bins`` to hold the widest categorical column."""
    widest, widest_name = 0, ""
    notes: list[str] = []
    for name, kind in features:
        value = counts[name]
        if kind == "numeric" and value == 0:
            raise DataError(f"Column {name!r} has no values in the training rows; leave it out "
                            "with --features.")
        if kind != "categorical":
            continue
        if value > MAX_CATEGORIES:
            notes.append(f"column {name} has {value} categories: the {MAX_CATEGORIES} most "
                         "frequent keep their own index, the rest share the unseen-values one")
            value = MAX_CATEGORIES
        if value + 1 > widest:
            widest, widest_name = value + 1, name
    if widest > params.max_bins:
        notes.append(f"maxBins raised from {params.max_bins} to {widest} so that column "
                     f"{widest_name} keeps one bin per category (MLlib needs maxBins >= the "
                     "categories of every column)")
        params = dataclasses.replace(params, max_bins=widest)
    return params, notes


