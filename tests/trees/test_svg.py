"""The tree drawing: every node once, children below and on their side, folding, escaping."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from sparkgrove.trees import DecisionTreeClassifier
from sparkgrove.trees.model import TreeModel
from sparkgrove.trees.svg import COMPACT_NODES, draw_tree
from tests.console.big import big_tree_model

SVG = "{http://www.w3.org/2000/svg}"


def _model() -> TreeModel:
    rng = np.random.default_rng(0)
    x = {"size": rng.normal(size=400), "shop": rng.choice(["<b>&co", "plain", "x\"y"], 400)}
    y = np.where((x["size"] > 0) ^ (x["shop"] == "plain"), "yes", "no")
    model: TreeModel = DecisionTreeClassifier(max_depth=4).fit(pd.DataFrame(x), y).tree_model_
    return model


def _positions(svg: str) -> dict[int, tuple[float, float]]:
    root = ElementTree.fromstring(svg)  # well-formed XML, whatever the labels hold
    found = {}
    for group in root.iter(f"{SVG}g"):
        if "node" in group.get("class", ""):
            x, y = map(float, re.findall(r"[-\d.]+", group.get("transform", ""))[:2])
            found[int(group.get("data-node", "-1"))] = (x, y)
    return found


def test_every_node_is_drawn_once_with_children_below_on_their_side() -> None:
    model = _model()
    tree = model.trees[0]
    drawing = draw_tree(model, fold_href=lambda n: f"?fold={n}")
    at = _positions(drawing.svg)
    assert sorted(at) == list(range(tree.n_nodes)) and drawing.drawn == tree.n_nodes
    for node in range(tree.n_nodes):
        if tree.feature[node] >= 0:
            left, right = int(tree.left[node]), int(tree.right[node])
            assert at[left][1] > at[node][1] and at[right][1] > at[node][1]
            assert at[left][0] < at[node][0] < at[right][0]
    texts = [t.text or "" for t in ElementTree.fromstring(drawing.svg).iter(f"{SVG}text")]
    assert any("shop in {" in t and ("<b>&co" in t or 'x"y' in t) for t in texts)


def test_folded_splits_hide_their_subtrees() -> None:
    model = _model()
    tree = model.trees[0]
    whole = draw_tree(model, fold_href=lambda n: f"?fold={n}")
    folded = draw_tree(model, folded={0}, fold_href=lambda n: f"?fold={n}")
    assert folded.drawn == 1 and 'aria-label="unfold node 0"' in folded.svg
    by_depth = draw_tree(model, max_depth=1)
    assert by_depth.drawn == 3 < whole.drawn == tree.n_nodes


def test_large_drawings_are_compact_and_link_free() -> None:
    model = big_tree_model(4001)
    drawing = draw_tree(model, fold_href=lambda n: f"?fold={n}")
    assert drawing.compact and drawing.drawn == 4001 > COMPACT_NODES
    assert "<a " not in drawing.svg and "#17 " in drawing.svg
    assert len(_positions(drawing.svg)) == 4001
