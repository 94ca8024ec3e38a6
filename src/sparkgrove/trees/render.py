"""Printing a ``TreeModel`` with column names and category values."""

from __future__ import annotations

from sparkgrove.trees.model import LEAF, FeatureSpec, Tree, TreeModel

UNSEEN = "(unseen or missing)"


def _category_names(spec: FeatureSpec, indices: tuple[int, ...]) -> str:
    names = [spec.categories[i] if i < len(spec.categories) else UNSEEN for i in indices]
    return "{" + ", ".join(names) + "}"


def leaf_text(model: TreeModel, tree: Tree, node: int) -> str:
    """What a leaf predicts, and for how many training rows."""
    value = tree.value[node]
    count = tree.count[node]
    if model.ensemble == "sum":  # a boosted tree's leaf adds to the score
        return f"score {value[0]:+.6g} (n={count:g})"
    if model.task == "classification":
        best = int(value.argmax())
        total = value.sum()
        share = value[best] / total if total > 0 else 0.0
        return f"predict {model.label.classes[best]} ({share:.0%} of {count:g})"
    return f"predict {value[0]:.6g} (n={count:g})"


def split_texts(model: TreeModel, tree: Tree, node: int) -> tuple[str, str]:
    """The conditions that send a row from split ``node`` to its left and to its right child."""
    spec = model.features[int(tree.feature[node])]
    cats = tree.left_categories[node]
    if cats is not None:
        right = tuple(i for i in range(spec.arity) if i not in cats)
        return (f"{spec.name} in {_category_names(spec, cats)}",
                f"{spec.name} in {_category_names(spec, right)}")
    threshold = f"{tree.threshold[node]:.6g}"
    missing = " or missing" if spec.fill_value is None else ""
    left_missing, right_missing = ((missing, "") if tree.missing_left[node] else ("", missing))
    return (f"{spec.name} <= {threshold}{left_missing}",
            f"{spec.name} > {threshold}{right_missing}")


def render_tree(model: TreeModel, tree_index: int = 0, *, max_depth: int | None = None) -> str:
    """The tree as indented ``if``/``else`` text; for an ensemble, tree ``tree_index`` under a
    line saying which of how many it is (and its weight, for boosted trees)."""
    tree = model.trees[tree_index]
    lines: list[str] = []
    if len(model.trees) > 1:
        weight = (f", weight {model.tree_weights[tree_index]:g}" if model.ensemble == "sum"
                  else "")
        how = "summed" if model.ensemble == "sum" else "averaged"
        lines.append(f"# tree {tree_index + 1} of {len(model.trees)} ({how}{weight})")

    def walk(node: int, depth: int) -> None:
        pad = "  " * depth
        if tree.feature[node] == LEAF:
            lines.append(f"{pad}{leaf_text(model, tree, node)}")
            return
        if max_depth is not None and depth >= max_depth:
            lines.append(f"{pad}... ({tree.count[node]:g} rows below)")
            return
        left_text, right_text = split_texts(model, tree, node)
        lines.append(f"{pad}if {left_text}:")
        walk(int(tree.left[node]), depth + 1)
        lines.append(f"{pad}else ({right_text}):")
        walk(int(tree.right[node]), depth + 1)

    walk(0, 0)
    return "\n".join(lines)
