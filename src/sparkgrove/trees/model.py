"""The portable ``TreeModel``: flat node arrays plus feature and label specs, as versioned JSON.

It predicts with numpy alone. Both engines (MLlib, and the local engine) produce it; serving,
rendering, batch scoring and the registry use it. An ensemble is a list of trees combined as
``ensemble`` says:

* ``mean`` (a tree, a random forest): leaf values are averaged, as MLlib averages the normalised
  class probabilities of its trees;
* ``sum`` (gradient-boosted trees): the raw score is ``F = sum(tree_weights[i] * leaf_i)``;
  regression predicts ``F``; binary classification uses MLlib's logistic link,
  ``P(class 1) = 1 / (1 + exp(-2F))``, and predicts class 1 when ``F > 0``.

Encoding of inputs, the same rules as the training pipeline that made the model:

* a numeric feature's missing value (None/NaN) becomes ``fill_value`` when the feature has one
  (the training median), else follows the split's ``missing_left`` direction;
* a categorical feature's value is looked up in ``categories``; unseen or missing values take
  index ``len(categories)``, the bucket MLlib's ``handleInvalid="keep"`` uses.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from sparkgrove.errors import DataError, ModelFormatError

FORMAT_NAME = "sparkgrove.tree_model"
FORMAT_VERSION = 2
"""Version 2 added ``ensemble`` and ``tree_weights``; version 1 documents read as ``mean``."""
ENSEMBLES = ("mean", "sum")
LEAF = -1
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class FeatureSpec:
    """One input column: ``numeric`` or ``categorical`` (with its category values)."""

    name: str
    kind: str
    categories: tuple[str, ...] = ()
    fill_value: float | None = None

    @property
    def arity(self) -> int:
        """Number of category indices, including the unseen/missing bucket."""
        return len(self.categories) + 1

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.kind == "categorical":
            out["categories"] = list(self.categories)
        if self.fill_value is not None:
            out["fill_value"] = self.fill_value
        return out


@dataclass(frozen=True)
class LabelSpec:
    """The label: its column, the task, and for classification its classes in index order."""

    name: str
    task: str
    classes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return {"name": self.name, "task": self.task, "classes": list(self.classes)}


@dataclass
class Tree:
    """One tree as flat arrays; node 0 is the root, leaves have ``feature == -1``.

    ``left_categories[i]`` holds the category indices sent left by a categorical split
    (``None`` for a threshold split, where ``x <= threshold`` goes left).
    ``value[i]`` holds class probabilities (classification) or ``[prediction]`` (regression).
    """

    feature: IntArray
    threshold: FloatArray
    left_categories: list[tuple[int, ...] | None]
    left: IntArray
    right: IntArray
    missing_left: npt.NDArray[np.bool_]
    value: FloatArray
    impurity: FloatArray
    count: FloatArray
    gain: FloatArray

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.feature.shape[0])

    @property
    def depth(self) -> int:
        """Depth of the deepest leaf (a lone root has depth 0)."""
        depth = np.zeros(self.n_nodes, dtype=np.int64)
        for node in range(self.n_nodes):
            if self.feature[node] != LEAF:
                depth[self.left[node]] = depth[node] + 1
                depth[self.right[node]] = depth[node] + 1
        return int(depth.max(initial=0))

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict (NaN thresholds written as null)."""
        return {
            "feature": self.feature.tolist(),
            "threshold": [None if math.isnan(t) else t for t in self.threshold.tolist()],
            "left_categories": [None if c is None else list(c) for c in self.left_categories],
            "left": self.left.tolist(),
            "right": self.right.tolist(),
            "missing_left": self.missing_left.tolist(),
            "value": self.value.tolist(),
            "impurity": self.impurity.tolist(),
            "count": self.count.tolist(),
            "gain": self.gain.tolist(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tree:
        """Read what :meth:`to_dict` wrote."""
        return cls(
            feature=np.asarray(data["feature"], dtype=np.int64),
            threshold=np.asarray([math.nan if t is None else t for t in data["threshold"]],
                                 dtype=np.float64),
            left_categories=[None if c is None else tuple(int(i) for i in c)
                             for c in data["left_categories"]],
            left=np.asarray(data["left"], dtype=np.int64),
            right=np.asarray(data["right"], dtype=np.int64),
            missing_left=np.asarray(data["missing_left"], dtype=bool),
            value=np.asarray(data["value"], dtype=np.float64).reshape(len(data["feature"]), -1),
            impurity=np.asarray(data["impurity"], dtype=np.float64),
            count=np.asarray(data["count"], dtype=np.float64),
            gain=np.asarray(data["gain"], dtype=np.float64),
        )


@dataclass
class TreeModel:
    """A fitted tree or forest that predicts with numpy alone."""

    features: tuple[FeatureSpec, ...]
    label: LabelSpec
    trees: list[Tree]
    feature_importances: tuple[float, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    ensemble: str = "mean"
    tree_weights: tuple[float, ...] = ()
    _compiled: Any = field(default=None, init=False, repr=False, compare=False)

    @property
    def task(self) -> str:
        """``classification`` or ``regression``."""
        return self.label.task

    @property
    def feature_names(self) -> list[str]:
        """Input column names in model order."""
        return [f.name for f in self.features]

    # ---- encoding -----------------------------------------------------------------------
    def encode(self, data: Any) -> FloatArray:
        """Turn a mapping of columns (dict, pandas DataFrame, Arrow table) into model inputs."""
        if isinstance(data, np.ndarray):
            if data.ndim != 2 or data.shape[1] != len(self.features):
                raise DataError(
                    f"A 2-D array input needs {len(self.features)} columns in model order "
                    f"({', '.join(self.feature_names)}); got shape {data.shape}.")
            if all(f.kind == "numeric" and f.fill_value is None for f in self.features):
                return np.asarray(data, dtype=np.float64)
            data = {f.name: data[:, j] for j, f in enumerate(self.features)}
        columns = _columns_of(data)
        missing = [f.name for f in self.features if f.name not in columns]
        if missing:
            raise DataError(
                f"The input lacks column(s) {', '.join(missing)} that the model needs; it needs "
                f"{', '.join(self.feature_names)}."
            )
        n_rows = len(columns[self.features[0].name]) if self.features else 0
        out = np.empty((n_rows, len(self.features)), dtype=np.float64)
        for j, spec in enumerate(self.features):
            raw = columns[spec.name]
            if spec.kind == "categorical":
                out[:, j] = category_codes(raw, spec.categories)
            else:
                values = _as_float(raw, spec.name)
                if spec.fill_value is not None:
                    values = np.where(np.isnan(values), spec.fill_value, values)
                out[:, j] = values
        return out

    # ---- prediction ---------------------------------------------------------------------
    def _leaf_values(self, x: FloatArray) -> FloatArray:
        try:
            from sparkgrove.trees.compiled import CompiledForest
        except ImportError:  # numba missing: one tree at a time with numpy
            return self._leaf_values_numpy(x)
        if self._compiled is None:  # built once; a model's trees are not changed after fitting
            self._compiled = CompiledForest.of(self)
        values: FloatArray = self._compiled.values(x)
        return values

    def _leaf_values_numpy(self, x: FloatArray) -> FloatArray:
        if self.ensemble == "sum":
            score = np.zeros((x.shape[0], 1))
            for tree, weight in zip(self.trees, self.tree_weights, strict=True):
                score += weight * tree.value[_apply_numpy(tree, x, self.features)]
            return score
        total: FloatArray | None = None
        for tree in self.trees:
            leaves = _apply_numpy(tree, x, self.features)
            values = tree.value[leaves]
            total = values if total is None else total + values
        assert total is not None, "a TreeModel has at least one tree"
        return total / len(self.trees)

    def raw_score(self, data: Any) -> FloatArray:
        """The boosted score ``F`` of each row (``sum`` ensembles only)."""
        if self.ensemble != "sum":
            raise DataError("raw_score is for gradient-boosted models; use predict or "
                            "predict_proba.")
        score: FloatArray = self._leaf_values(self.encode(data))[:, 0]
        return score

    def predict_proba(self, data: Any) -> FloatArray:
        """Class probabilities, columns in ``label.classes`` order (classification only)."""
        if self.task != "classification":
            raise DataError("predict_proba is for classification models; use predict.")
        if self.ensemble == "sum":
            score = self._leaf_values(self.encode(data))[:, 0]
            positive = 1.0 / (1.0 + np.exp(-2.0 * score))
            both: FloatArray = np.column_stack([1.0 - positive, positive])
            return both
        probs = self._leaf_values(self.encode(data))
        sums = probs.sum(axis=1, keepdims=True)
        result: FloatArray = np.divide(probs, sums, out=np.zeros_like(probs), where=sums > 0)
        return result

    def predict_index(self, data: Any) -> npt.NDArray[np.float64]:
        """Predicted class index (classification) or value (regression), as MLlib gives it."""
        values = self._leaf_values(self.encode(data))
        if self.task == "classification" and self.ensemble == "sum":
            positive: npt.NDArray[np.float64] = (values[:, 0] > 0.0).astype(np.float64)
            return positive
        if self.task == "classification":
            index: npt.NDArray[np.float64] = np.argmax(values, axis=1).astype(np.float64)
            return index
        first: npt.NDArray[np.float64] = values[:, 0].copy()
        return first

    def predict_encoded(self, x: FloatArray, *, proba: bool = True
                        ) -> tuple[FloatArray, FloatArray | None]:
        """Predictions of already encoded rows (see :meth:`encode`): the class index or value
        of each row, and for classification with ``proba`` the class probabilities."""
        values = self._leaf_values(x)
        if self.task == "regression":
            return values[:, 0].copy(), None
        if self.ensemble == "sum":
            positive = 1.0 / (1.0 + np.exp(-2.0 * values[:, 0]))
            index = (values[:, 0] > 0.0).astype(np.float64)
            return index, (np.column_stack([1.0 - positive, positive]) if proba else None)
        index = np.argmax(values, axis=1).astype(np.float64)
        if not proba:
            return index, None
        sums = values.sum(axis=1, keepdims=True)
        return index, np.divide(values, sums, out=np.zeros_like(values), where=sums > 0)

    def predict(self, data: Any) -> npt.NDArray[Any]:
        """Predicted class names (classification) or values (regression)."""
        index = self.predict_index(data)
        if self.task == "classification":
            classes = np.asarray(self.label.classes, dtype=object)
            return classes[index.astype(np.int64)]
        return index

    # ---- persistence --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON document."""
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "features": [f.to_dict() for f in self.features],
            "label": self.label.to_dict(),
            "trees": [t.to_dict() for t in self.trees],
            "feature_importances": list(self.feature_importances),
            "ensemble": self.ensemble,
            "tree_weights": list(self.tree_weights),
            "metadata": self.metadata,
        }

    def to_json(self) -> str:
        """The model as JSON text."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    def save(self, path: str | Path) -> Path:
        """Write the model to ``path`` (atomically: a temporary file, then a rename)."""
        from sparkgrove.staging import write_atomically

        return write_atomically(Path(path), self.to_json().encode("utf-8"), what="the model")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TreeModel:
        """Read a document written by :meth:`to_dict`."""
        if data.get("format") != FORMAT_NAME:
            raise ModelFormatError(f"Not a sparkgrove tree model (format={data.get('format')!r}).")
        version = data.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise ModelFormatError(
                f"Tree model format version {version} is newer than this sparkgrove reads "
                f"({FORMAT_VERSION}); upgrade sparkgrove.")
        ensemble = data.get("ensemble", "mean")
        if ensemble not in ENSEMBLES:
            raise ModelFormatError(f"The tree model's ensemble is {ensemble!r}; it must be one of "
                                   f"{', '.join(ENSEMBLES)}.")
        try:
            model = cls(
                features=tuple(FeatureSpec(f["name"], f["kind"], tuple(f.get("categories", ())),
                                           f.get("fill_value")) for f in data["features"]),
                label=LabelSpec(data["label"]["name"], data["label"]["task"],
                                tuple(data["label"].get("classes", ()))),
                trees=[Tree.from_dict(t) for t in data["trees"]],
                feature_importances=tuple(data.get("feature_importances", ())),
                metadata=dict(data.get("metadata", {})),
                ensemble=ensemble,
                tree_weights=tuple(float(w) for w in data.get("tree_weights", ())),
            )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise ModelFormatError(f"The tree model document is incomplete or malformed: "
                                   f"{exc!r}.") from exc
        if ensemble == "sum" and len(model.tree_weights) != len(model.trees):
            raise ModelFormatError(f"The tree model sums {len(model.trees)} trees but has "
                                   f"{len(model.tree_weights)} tree weights; it needs one per tree.")
        model.validate()
        return model

    def validate(self) -> None:
        """Check the structure a prediction relies on, so that a damaged or crafted model file
        is refused with the rule it breaks, never read out of bounds or walked forever."""
        if not self.trees:
            raise ModelFormatError("The tree model has no trees.")
        kinds = {f.kind for f in self.features}
        if not self.features or not kinds <= {"numeric", "categorical"}:
            raise ModelFormatError("The tree model's features must be a non-empty list of "
                                   "numeric or categorical features.")
        if self.label.task not in ("classification", "regression"):
            raise ModelFormatError(f"The tree model's task is {self.label.task!r}; it must be "
                                   "classification or regression.")
        if self.label.task == "classification" and len(self.label.classes) < 2:
            raise ModelFormatError("A classification model needs at least two classes.")
        if self.feature_importances and len(self.feature_importances) != len(self.features):
            raise ModelFormatError(f"The tree model has {len(self.feature_importances)} feature "
                                   f"importances for {len(self.features)} features.")
        if len(self.label.classes) != len(set(self.label.classes)):
            raise ModelFormatError("The tree model's classes are not distinct.")
        width = (len(self.label.classes) if self.label.task == "classification"
                 and self.ensemble == "mean" else 1)
        for number, tree in enumerate(self.trees, start=1):
            _check_tree(tree, self.features, width, f"tree {number}")

    @classmethod
    def load(cls, path: str | Path) -> TreeModel:
        """Read a model file."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelFormatError(f"Cannot read the tree model at {path}: {exc}.") from exc
        return cls.from_dict(data)


MAX_DEPTH = 1000
"""Deepest tree a model file may hold (MLlib's limit is 30; the local engine's is lower)."""


def _check_tree(tree: Tree, features: Sequence[FeatureSpec], width: int, where: str) -> None:
    n = tree.n_nodes
    if n == 0:
        raise ModelFormatError(f"The tree model's {where} has no nodes.")
    for name, array in (("threshold", tree.threshold), ("left", tree.left),
                        ("right", tree.right), ("missing_left", tree.missing_left),
                        ("value", tree.value), ("impurity", tree.impurity),
                        ("count", tree.count), ("gain", tree.gain)):
        if array.shape[0] != n:
            raise ModelFormatError(f"The tree model's {where} has {array.shape[0]} {name} "
                                   f"entries for {n} nodes; every node array has one per node.")
    if len(tree.left_categories) != n:
        raise ModelFormatError(f"The tree model's {where} has {len(tree.left_categories)} "
                               f"left_categories entries for {n} nodes.")
    if tree.value.ndim != 2 or tree.value.shape[1] != width:
        raise ModelFormatError(f"The tree model's {where} has values of width "
                               f"{tree.value.shape[1] if tree.value.ndim == 2 else '?'}; "
                               f"this model needs {width} per node.")
    split = tree.feature != LEAF
    if ((tree.feature < LEAF) | (tree.feature >= len(features))).any():
        raise ModelFormatError(f"The tree model's {where} splits on a feature index outside "
                               f"0..{len(features) - 1}.")
    children = np.concatenate([tree.left[split], tree.right[split]])
    if ((children <= 0) | (children >= n)).any():
        raise ModelFormatError(f"The tree model's {where} has a child index outside 1..{n - 1}.")
    if np.unique(children).size != children.size:
        raise ModelFormatError(f"The tree model's {where} reaches a node from two parents (a "
                               "cycle or a shared node); a tree has one parent per node.")
    for at in np.nonzero(split)[0]:
        node = int(at)
        spec = features[int(tree.feature[node])]
        cats = tree.left_categories[node]
        if cats is None:
            if not math.isfinite(tree.threshold[node]):
                raise ModelFormatError(f"The tree model's {where} node {node} splits on "
                                       f"{spec.name!r} with neither a finite threshold nor "
                                       "categories.")
        elif spec.kind != "categorical" or any(not 0 <= c < spec.arity for c in cats):
            raise ModelFormatError(f"The tree model's {where} node {node} sends categories "
                                   f"{list(cats)[:5]} left on {spec.name!r}, which has "
                                   f"{spec.arity if spec.kind == 'categorical' else 'no'} "
                                   "category indices.")
    parents = np.nonzero(split)[0]
    if ((tree.left[parents] <= parents) | (tree.right[parents] <= parents)).any():
        raise ModelFormatError(f"The tree model's {where} lists a node before its parent; "
                               "children come after their parent.")
    frontier, depth = np.array([0]), 0
    while frontier.size:  # level by level: at most MAX_DEPTH + 1 rounds
        inner = frontier[split[frontier]]
        frontier = np.concatenate([tree.left[inner], tree.right[inner]])
        if frontier.size:
            depth += 1
            if depth > MAX_DEPTH:
                raise ModelFormatError(f"The tree model's {where} is deeper than {MAX_DEPTH} "
                                       "levels.")


def _columns_of(data: Any) -> Mapping[str, Sequence[Any]]:
    if isinstance(data, Mapping):
        return data
    if hasattr(data, "to_pydict") and hasattr(data, "column_names"):  # pyarrow Table/RecordBatch
        return {name: data.column(name).to_numpy(zero_copy_only=False)
                for name in data.column_names}
    if hasattr(data, "columns") and hasattr(data, "__getitem__"):  # pandas DataFrame
        return {str(c): data[c].to_numpy() for c in data.columns}
    raise DataError("Give the input as a dict of columns, a pandas DataFrame or an Arrow table.")


def category_codes(raw: Sequence[Any], categories: tuple[str, ...]) -> FloatArray:
    """Category index of each value; unseen and missing values get ``len(categories)``."""
    lookup: dict[str | None, int] = {c: i for i, c in enumerate(categories)}
    unknown = len(categories)
    try:
        import pandas as pd
    except ImportError:  # pandas only speeds this up
        return np.asarray([lookup.get(_category_text(v), unknown) for v in raw], dtype=np.float64)
    values = raw if isinstance(raw, pd.Series | pd.Categorical | pd.Index) else np.asarray(
        raw, dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([lookup.get(_category_text(v), unknown) for v in uniques] + [unknown],
                      dtype=np.float64)
    result: FloatArray = mapped[codes]  # the sentinel -1 picks the trailing "unknown"
    return result


def _category_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return category_text(value)


def category_text(value: Any) -> str:
    """How a category or class value is written in a model: booleans as ``true``/``false``
    (as Spark casts them), whole floats without ``.0``, everything else with ``str``."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _as_float(raw: Sequence[Any], name: str) -> FloatArray:
    try:
        return np.asarray(raw, dtype=np.float64)  # None becomes NaN
    except (TypeError, ValueError) as exc:
        raise DataError(f"Column {name!r} must be numeric for this model: {exc}.") from exc


def _apply_numpy(tree: Tree, x: FloatArray, features: Sequence[FeatureSpec]) -> IntArray:
    """Leaf index reached by each row, with numpy alone."""
    n_nodes = tree.n_nodes
    width = max([f.arity for f in features if f.kind == "categorical"], default=1)
    goes_left = np.zeros((n_nodes, width + 1), dtype=bool)
    is_cat = np.zeros(n_nodes, dtype=bool)
    for node, cats in enumerate(tree.left_categories):
        if cats is not None:
            is_cat[node] = True
            goes_left[node, list(cats)] = True
    node_of = np.zeros(x.shape[0], dtype=np.int64)
    active = np.nonzero(tree.feature[node_of] != LEAF)[0]
    while active.size:
        nodes = node_of[active]
        values = x[active, tree.feature[nodes]]
        missing = np.isnan(values)
        left = np.where(missing, tree.missing_left[nodes], values <= tree.threshold[nodes])
        cat_rows = is_cat[nodes]
        if cat_rows.any():
            idx = np.where(missing, width, values).astype(np.int64)
            idx = np.clip(idx, 0, width)
            left = np.where(cat_rows, goes_left[nodes, idx], left)
        node_of[active] = np.where(left, tree.left[nodes], tree.right[nodes])
        active = active[tree.feature[node_of[active]] != LEAF]
    return node_of
