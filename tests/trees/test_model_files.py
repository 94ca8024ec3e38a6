"""Model files are input: a damaged or crafted ``tree_model.json`` is refused with the rule it
breaks, never read out of bounds or walked forever; a large valid model still loads."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sparkgrove.errors import ModelFormatError
from sparkgrove.trees.model import FeatureSpec, LabelSpec, Tree, TreeModel
from tests.trees.test_model import _model

Doc = dict[str, Any]


def _tree(doc: Doc) -> Doc:
    tree: Doc = doc["trees"][0]
    return tree


def _set(key: str, value: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        _tree(doc)[key] = value
    return change


@pytest.mark.parametrize(("change", "rule"), [
    (_set("left", [1, -1, 0, -1, -1]), "child index outside"),          # a cycle back to the root
    (lambda d: _tree(d).update(                                          # children first
        feature=[1, -1, -1, 0, -1], threshold=[None, None, None, 1.5, None],
        left=[3, -1, -1, 1, -1], right=[4, -1, -1, 2, -1]), "lists a node before its parent"),
    (_set("left", [1, -1, 2, -1, -1]), "from two parents"),              # a self loop
    (_set("right", [2, -1, 1, -1, -1]), "from two parents"),             # a shared node
    (_set("left", [1, -1, 99, -1, -1]), "child index outside"),          # out of bounds
    (_set("feature", [1, -1, 7, -1, -1]), "feature index outside"),
    (_set("feature", [1, -1, 0, -1]), "malformed|entries for 4 nodes"),
    (_set("gain", [0.0]), "1 gain entries for 5 nodes"),
    (_set("value", [[0.5]] * 5), "values of width 1; this model needs 2"),
    (_set("left_categories", [[1, 5], None, None, None, None]), "sends categories"),
    (_set("left_categories", [[1], None, [0], None, None]), "sends categories"),
    (_set("left", [10**30, -1, 3, -1, -1]), "malformed"),
    (_set("threshold", [None, None, None, None, None]), "neither a finite threshold"),
    (lambda d: d.update(trees=[]), "has no trees"),
    (lambda d: d["label"].update(classes=["yes", "yes"]), "not distinct"),
    (lambda d: d["label"].update(task="ranking"), "classification or regression"),
    (lambda d: d.update(features="x"), "malformed|features"),
    (lambda d: d.update(feature_importances=[1.0]), "1 feature importances for 2 features"),
])
def test_a_damaged_model_file_is_refused_naming_the_rule(change: Callable[[Doc], None],
                                                         rule: str) -> None:
    doc = copy.deepcopy(_model().to_dict())
    change(doc)
    with pytest.raises(ModelFormatError, match=rule):
        TreeModel.from_dict(doc)


def test_a_too_deep_chain_is_refused_and_a_million_node_tree_loads() -> None:
    n = 2003  # a chain 1001 levels deep: each split's left child is the next split
    feature = np.full(n, -1)
    left = np.full(n, -1)
    right = np.full(n, -1)
    splits = np.arange(0, n - 1, 2)
    feature[splits] = 0
    left[splits] = splits + 2
    right[splits] = splits + 1
    chain = Tree(feature=feature, threshold=np.where(feature == 0, 0.5, np.nan),
                 left_categories=[None] * n, left=left, right=right,
                 missing_left=np.ones(n, dtype=bool), value=np.zeros((n, 1)),
                 impurity=np.zeros(n), count=np.ones(n), gain=np.zeros(n))
    doc = TreeModel(features=(FeatureSpec("x", "numeric"),),
                    label=LabelSpec("y", "regression"), trees=[chain]).to_dict()
    with pytest.raises(ModelFormatError, match="deeper than 1000 levels"):
        TreeModel.from_dict(doc)
    levels = 20  # a complete tree of 2**20 - 1 nodes, numbered breadth first
    n = 2**levels - 1
    index = np.arange(n)
    inner = index < 2**(levels - 1) - 1
    big = Tree(feature=np.where(inner, 0, -1), threshold=np.where(inner, 0.5, np.nan),
               left_categories=[None] * n, left=np.where(inner, 2 * index + 1, -1),
               right=np.where(inner, 2 * index + 2, -1), missing_left=np.ones(n, dtype=bool),
               value=np.arange(n, dtype=float).reshape(n, 1), impurity=np.zeros(n),
               count=np.ones(n), gain=np.zeros(n))
    model = TreeModel(features=(FeatureSpec("x", "numeric"),),
                      label=LabelSpec("y", "regression"), trees=[big])
    started = time.perf_counter()
    loaded = TreeModel.from_dict(model.to_dict())
    assert loaded.trees[0].n_nodes == n
    assert time.perf_counter() - started < 120  # a bound on a hang, not a timing claim
    assert loaded.predict({"x": [0.0]})[0] == float(2**(levels - 1) - 1)  # leftmost leaf


def test_saving_to_a_path_that_cannot_hold_a_file_is_one_clear_error(tmp_path: Path) -> None:
    from sparkgrove.errors import ConfigError

    model = _model()
    with pytest.raises(ConfigError, match="it is a folder"):
        model.save(tmp_path)
    with pytest.raises(ConfigError, match="No such file or directory; choose a file"):
        model.save(tmp_path / "missing" / "m.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no .tmp left behind
    assert TreeModel.load(model.save(tmp_path / "m.json")).to_dict() == model.to_dict()
