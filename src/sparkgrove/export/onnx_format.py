"""A ``TreeModel`` as an ONNX graph, with ai.onnx.ml's ``TreeEnsemble`` operator (opset 5).

The graph takes one input per feature, named as the feature, shaped ``[rows, 1]``: ``double`` for
numeric features (NaN for missing), ``string`` for categorical ones. It does what the
``TreeModel`` does, in the same order and in double precision:

* a categorical value becomes its category index with ``LabelEncoder`` (unseen values, and the
  empty string for missing, take the unseen bucket ``len(categories)``); a numeric feature with
  a fill value has NaN replaced by it (``IsNaN`` / ``Where``);
* every tree is one ``TreeEnsemble`` tree: threshold splits are ``BRANCH_LEQ``, categorical splits
  are ``BRANCH_MEMBER`` with the left set, a missing value follows ``missing_left``;
* a forest sums its trees and divides by their number (class probabilities: one copy of each tree
  per class, then each row is divided by its sum); boosting sums ``weight * leaf`` and, for
  classification, applies MLlib's link ``P(1) = sigmoid(2F)``.

Outputs: ``label`` (class names, ``string [rows]``) and ``probabilities`` (``double [rows,
classes]``) for classification; ``prediction`` (``double [rows, 1]``) for regression.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sparkgrove.errors import EnvironmentProblem
from sparkgrove.trees.model import LEAF, TreeModel

ML_OPSET = 5
"""ai.onnx.ml opset: the first with ``TreeEnsemble`` (double precision, set membership)."""
ONNX_OPSET = 21
BRANCH_LEQ, BRANCH_MEMBER = 0, 6
AGGREGATE_SUM = 1


def _onnx() -> Any:
    try:
        import onnx
    except ImportError as exc:
        raise EnvironmentProblem("ONNX export needs the onnx package: pip install "
                                 "'sparkgrove[export]' (or pip install onnx).") from exc
    return onnx


def to_onnx(model: TreeModel) -> bytes:
    """The serialized ONNX model."""
    onnx = _onnx()
    helper, tp = onnx.helper, onnx.TensorProto
    nodes: list[Any] = []
    inputs: list[Any] = []
    encoded: list[str] = []
    for spec in model.features:
        name = spec.name
        if spec.kind == "categorical":
            inputs.append(helper.make_tensor_value_info(name, tp.STRING, ["N", 1]))
            nodes.append(helper.make_node(
                "LabelEncoder", [name], [f"{name}__index32"], domain="ai.onnx.ml",
                keys_strings=list(spec.categories),
                values_floats=[float(i) for i in range(len(spec.categories))],
                default_float=float(len(spec.categories))))
            nodes.append(helper.make_node("Cast", [f"{name}__index32"], [f"{name}__x"],
                                          to=tp.DOUBLE))
        else:
            inputs.append(helper.make_tensor_value_info(name, tp.DOUBLE, ["N", 1]))
            if spec.fill_value is None:
                nodes.append(helper.make_node("Identity", [name], [f"{name}__x"]))
            else:
                fill = helper.make_tensor(f"{name}__fill", tp.DOUBLE, [], [spec.fill_value])
                nodes.append(helper.make_node("IsNaN", [name], [f"{name}__nan"]))
                nodes.append(helper.make_node("Constant", [], [f"{name}__fillv"], value=fill))
                nodes.append(helper.make_node("Where", [f"{name}__nan", f"{name}__fillv", name],
                                              [f"{name}__x"]))
        encoded.append(f"{name}__x")
    nodes.append(helper.make_node("Concat", encoded, ["X"], axis=1))
    targets = (len(model.label.classes) if model.task == "classification"
               and model.ensemble == "mean" else 1)
    nodes.append(_ensemble_node(onnx, model, targets))
    initializers: list[Any] = []
    outputs = _finish(onnx, model, nodes, initializers)
    graph = helper.make_graph(nodes, "sparkgrove_tree_model", inputs, outputs,
                              initializer=initializers)
    onnx_model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", ONNX_OPSET), helper.make_opsetid("ai.onnx.ml", ML_OPSET)],
        producer_name="sparkgrove")
    onnx_model.ir_version = 10
    for key, value in (("label", model.label.name), ("task", model.task),
                       ("ensemble", model.ensemble)):
        entry = onnx_model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(onnx_model, full_check=True)
    data: bytes = onnx_model.SerializeToString()
    return data


def _ensemble_node(onnx: Any, model: TreeModel, targets: int) -> Any:
    helper, tp = onnx.helper, onnx.TensorProto
    roots: list[int] = []
    feature_ids: list[int] = []
    splits: list[float] = []
    modes: list[int] = []
    tracks_true: list[int] = []
    true_ids: list[int] = []
    true_leaf: list[int] = []
    false_ids: list[int] = []
    false_leaf: list[int] = []
    members: list[float] = []
    leaf_targets: list[int] = []
    leaf_weights: list[float] = []
    weights = (model.tree_weights if model.ensemble == "sum" else (1.0,) * len(model.trees))
    for tree, weight in zip(model.trees, weights, strict=True):
        for target in range(targets):
            node_index: dict[int, int] = {}
            leaf_index: dict[int, int] = {}
            splits_of = [int(i) for i in np.nonzero(tree.feature != LEAF)[0]]
            for node in splits_of:
                node_index[node] = len(feature_ids) + len(node_index)
            for node in range(tree.n_nodes):
                if tree.feature[node] == LEAF:
                    leaf_index[node] = len(leaf_weights)
                    value = float(tree.value[node, target])
                    leaf_weights.append(value if model.ensemble == "mean" else weight * value)
                    leaf_targets.append(target)
            if not splits_of:  # a lone leaf: one split whose two branches reach it
                roots.append(len(feature_ids))
                _append(feature_ids, splits, modes, tracks_true, 0, 0.0, BRANCH_LEQ, 1)
                for ids, leafs in ((true_ids, true_leaf), (false_ids, false_leaf)):
                    ids.append(leaf_index[0])
                    leafs.append(1)
                continue
            roots.append(node_index[0])
            for node in splits_of:
                cats = tree.left_categories[node]
                if cats is None:
                    _append(feature_ids, splits, modes, tracks_true, int(tree.feature[node]),
                            float(tree.threshold[node]), BRANCH_LEQ, int(tree.missing_left[node]))
                else:
                    _append(feature_ids, splits, modes, tracks_true, int(tree.feature[node]),
                            math.nan, BRANCH_MEMBER, int(tree.missing_left[node]))
                    members.extend([*(float(c) for c in sorted(cats)), math.nan])
                for child, ids, leafs in ((int(tree.left[node]), true_ids, true_leaf),
                                          (int(tree.right[node]), false_ids, false_leaf)):
                    is_leaf = tree.feature[child] == LEAF
                    ids.append(leaf_index[child] if is_leaf else node_index[child])
                    leafs.append(int(is_leaf))
    attributes: dict[str, Any] = {
        "aggregate_function": AGGREGATE_SUM, "post_transform": 0, "n_targets": targets,
        "tree_roots": roots, "nodes_featureids": feature_ids,
        "nodes_splits": helper.make_tensor("s", tp.DOUBLE, [len(splits)], splits),
        "nodes_modes": helper.make_tensor("m", tp.UINT8, [len(modes)], modes),
        "nodes_missing_value_tracks_true": tracks_true,
        "nodes_truenodeids": true_ids, "nodes_trueleafs": true_leaf,
        "nodes_falsenodeids": false_ids, "nodes_falseleafs": false_leaf,
        "leaf_targetids": leaf_targets,
        "leaf_weights": helper.make_tensor("w", tp.DOUBLE, [len(leaf_weights)], leaf_weights)}
    if members:
        attributes["membership_values"] = helper.make_tensor("mv", tp.DOUBLE, [len(members)],
                                                             members)
    return helper.make_node("TreeEnsemble", ["X"], ["raw"], domain="ai.onnx.ml", **attributes)


def _append(feature_ids: list[int], splits: list[float], modes: list[int],
            tracks_true: list[int], feature: int, split: float, mode: int, missing: int) -> None:
    feature_ids.append(feature)
    splits.append(split)
    modes.append(mode)
    tracks_true.append(missing)


def _finish(onnx: Any, model: TreeModel, nodes: list[Any], initializers: list[Any]) -> list[Any]:
    """Nodes from the summed leaves to the outputs; returns the output value infos."""
    helper, tp, numpy_helper = onnx.helper, onnx.TensorProto, onnx.numpy_helper

    def const(name: str, value: Any) -> str:
        initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    n_trees = float(len(model.trees))
    if model.task == "regression":
        if model.ensemble == "mean":
            nodes.append(helper.make_node("Div", ["raw", const("n_trees", n_trees)],
                                          ["prediction"]))
        else:
            nodes.append(helper.make_node("Identity", ["raw"], ["prediction"]))
        return [helper.make_tensor_value_info("prediction", tp.DOUBLE, ["N", 1])]
    classes = const("classes", np.asarray(model.label.classes, dtype=object))
    if model.ensemble == "mean":
        nodes.append(helper.make_node("Div", ["raw", const("n_trees", n_trees)], ["mean"]))
        nodes.append(helper.make_node("ReduceSum", ["mean", const("axis1", np.array([1]))],
                                      ["total"], keepdims=1))
        nodes.append(helper.make_node("Div", ["mean", "total"], ["probabilities"]))
        nodes.append(helper.make_node("ArgMax", ["mean"], ["index"], axis=1, keepdims=0))
    else:
        nodes.append(helper.make_node("Mul", ["raw", const("two", 2.0)], ["twice"]))
        nodes.append(helper.make_node("Sigmoid", ["twice"], ["positive"]))
        nodes.append(helper.make_node("Sub", [const("one", 1.0), "positive"], ["negative"]))
        nodes.append(helper.make_node("Concat", ["negative", "positive"], ["probabilities"],
                                      axis=1))
        nodes.append(helper.make_node("Greater", ["raw", const("zero", 0.0)], ["is_positive"]))
        nodes.append(helper.make_node("Cast", ["is_positive"], ["index2d"], to=tp.INT64))
        nodes.append(helper.make_node("Squeeze", ["index2d", const("axes1", np.array([1]))],
                                      ["index"]))
    nodes.append(helper.make_node("Gather", [classes, "index"], ["label"], axis=0))
    return [helper.make_tensor_value_info("label", tp.STRING, ["N"]),
            helper.make_tensor_value_info("probabilities", tp.DOUBLE,
                                          ["N", len(model.label.classes)])]
