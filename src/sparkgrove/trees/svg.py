"""A tree of a ``TreeModel`` drawn as SVG: one box per node, edges labelled with the split's
condition, folded subtrees drawn as one box saying how many rows they hold.

The layout is linear in the number of drawn nodes (leaves take consecutive columns; a split sits
above the middle of its children), so a 10,000-node tree draws in milliseconds. Each split box is
a link (``fold_href``) that folds or unfolds it, which works without JavaScript; pan and zoom
are left to the page.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from html import escape

from sparkgrove.trees.model import LEAF, Tree, TreeModel
from sparkgrove.trees.render import leaf_text, split_texts

NODE_WIDTH = 168
NODE_HEIGHT = 44
COLUMN = NODE_WIDTH + 16
ROW = NODE_HEIGHT + 56
MARGIN = 12
MAX_LABEL = 30
COMPACT_NODES = 2000
"""Drawings with more nodes than this are drawn compact, with fewer elements for the browser to
lay out: a box's two lines on one line that starts with the node's number, and no link around
each split (a page's script folds a split on a click; without it, fold by number)."""


@dataclass(frozen=True)
class TreeDrawing:
    """The SVG text and what it shows."""

    svg: str
    drawn: int
    """Nodes drawn (a folded subtree counts as one)."""
    total: int
    depth: int
    compact: bool = False
    """Drawn compact (see :data:`COMPACT_NODES`)."""


def visible_nodes(tree: Tree, folded: Collection[int], max_depth: int | None
                  ) -> tuple[list[int], dict[int, int], set[int]]:
    """Drawn nodes in pre-order, their depths, and which drawn splits are shown folded."""
    order: list[int] = []
    depth = {0: 0}
    closed: set[int] = set()
    stack = [0]
    while stack:
        node = stack.pop()
        order.append(node)
        if tree.feature[node] == LEAF:
            continue
        if node in folded or (max_depth is not None and depth[node] >= max_depth):
            closed.add(node)
            continue
        left, right = int(tree.left[node]), int(tree.right[node])
        depth[left] = depth[right] = depth[node] + 1
        stack.append(right)
        stack.append(left)
    return order, depth, closed


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def draw_tree(model: TreeModel, tree_index: int = 0, *, folded: Collection[int] = (),
              max_depth: int | None = None,
              fold_href: Callable[[int], str] | None = None) -> TreeDrawing:
    """Tree ``tree_index`` of ``model`` as SVG, with ``folded`` splits (and every split at
    ``max_depth``) drawn closed."""
    tree = model.trees[tree_index]
    order, depth, closed = visible_nodes(tree, set(folded), max_depth)
    x: dict[int, float] = {}
    column = 0
    for node in reversed(order):  # children before parents
        if tree.feature[node] == LEAF or node in closed:
            x[node] = column * COLUMN
            column += 1
    for node in reversed(order):
        if node not in x:
            x[node] = (x[int(tree.left[node])] + x[int(tree.right[node])]) / 2
    # leaves were numbered right to left; mirror so the left child is drawn on the left
    width = max(column, 1) * COLUMN
    for node in x:
        x[node] = width - COLUMN - x[node] + MARGIN
    height = (max(depth[n] for n in order) + 1) * ROW
    # Edges are two paths (a "yes" one and a "no" one) and each box one group moved into
    # place: a 10,000-node tree stays a few tens of thousands of elements, quick to lay out.
    edges: dict[str, list[str]] = {"yes": [], "no": []}
    compact = len(order) > COMPACT_NODES
    boxes: list[str] = []
    for node in order:
        nx, ny = x[node], depth[node] * ROW + MARGIN
        if tree.feature[node] != LEAF and node not in closed:
            for child, side in ((int(tree.left[node]), "yes"), (int(tree.right[node]), "no")):
                cy = depth[child] * ROW + MARGIN
                x1, y1, x2 = nx + NODE_WIDTH / 2, ny + NODE_HEIGHT, x[child] + NODE_WIDTH / 2
                edges[side].append(f"M{x1:.0f} {y1:.0f}C{x1:.0f} {y1 + 28:.0f} {x2:.0f} "
                                   f"{cy - 28:.0f} {x2:.0f} {cy:.0f}")
        boxes.append(_box(model, tree, node, nx, ny, node in closed, fold_href, compact))
    paths = "".join(f'<path class="edge {side}" d="{"".join(d)}"/>' for side, d in edges.items()
                    if d)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" class="tree" role="img" '
           f'viewBox="0 0 {width + 2 * MARGIN:.0f} {height + MARGIN:.0f}" '
           f'width="{width + 2 * MARGIN:.0f}" height="{height + MARGIN:.0f}" '
           f'aria-label="tree {tree_index + 1} of {len(model.trees)}: {len(order)} of '
           f'{tree.n_nodes} nodes drawn; the left branch of a split is where its condition '
           f'holds"><g class="viewport">' + paths + "".join(boxes) + "</g></svg>")
    return TreeDrawing(svg, len(order), tree.n_nodes, max(depth.values()), compact)


def _box(model: TreeModel, tree: Tree, node: int, x: float, y: float, closed: bool,
         fold_href: Callable[[int], str] | None, compact: bool = False) -> str:
    count = f"n={tree.count[node]:g}"
    if tree.feature[node] == LEAF:
        kind, first, second = "leaf", leaf_text(model, tree, node), count
    elif closed:
        kind, first, second = "folded", f"+ {split_texts(model, tree, node)[0]}", \
            f"{count}, folded"
    else:
        kind, first, second = "split", split_texts(model, tree, node)[0], count
    shown = _short(first)
    if compact:
        return (f'<g class="node {kind}" data-node="{node}" transform="translate({x:.0f} '
                f'{y:.0f})"><rect width="{NODE_WIDTH}" height="{NODE_HEIGHT}"/><text x="6" '
                f'y="27">#{node} {escape(shown)} · {escape(second)}</text></g>')
    title = f"<title>{escape(first)}</title>" if shown != first else ""
    box = (f'<g class="node {kind}" data-node="{node}" transform="translate({x:.0f} {y:.0f})">'
           f'{title}<rect width="{NODE_WIDTH}" height="{NODE_HEIGHT}"/>'
           f'<text x="8" y="18">{escape(shown)}</text>'
           f'<text x="8" y="35" class="small">{escape(second)}</text></g>')
    if kind != "leaf" and fold_href is not None:
        action = "unfold" if closed else "fold"
        return (f'<a href="{escape(fold_href(node))}" aria-label="{action} node {node}">'
                f"{box}</a>")
    return box
