"""Growing one tree with the local engine: level by level, as MLlib grows its trees.

Each node's histogram is built from its rows, except that of the larger child of a split, which
is its parent's minus its sibling's (histogram subtraction). A node becomes a leaf at
``max_depth``, when it is pure, or when no split has a positive gain that satisfies
``min_instances_per_node``, ``min_weight_fraction_per_node`` and ``min_info_gain``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import numpy.typing as npt

from sparkgrove.trees import kernels
from sparkgrove.trees.binning import EPSILON, FeatureBins
from sparkgrove.trees.model import Tree


@dataclass
class GrowConfig:
    """What the builder needs besides the data."""

    max_depth: int
    impurity: int
    n_classes: int
    min_instances_per_node: int
    min_weight: float
    min_info_gain: float
    features_per_node: int
    max_unordered_arity: int
    min_category_rows: float = 0.0
    """Rows a category needs in a regression node to be ordered by its own mean (0: MLlib)."""
    subtract: bool = True
    """Histogram subtraction for the larger child; off in MLlib-parity mode, where each node's
    statistics are summed from its rows as MLlib sums them."""
    side_weight: float | None = None
    """When set (regression on row-wise data whose rows count once each), histograms do not
    count rows: a bin's count is its weight, a split's sides need this much weight each in
    place of ``min_instances_per_node`` rows, and nodes take their row counts from their rows.
    Two numbers per bin instead of three: the boosting steps' fast path."""


@dataclass
class _Node:
    rows: npt.NDArray[np.int64]
    stats: npt.NDArray[np.float64]
    depth: int
    hist: npt.NDArray[np.float64] | None = None
    leaf: bool = False
    feature: int = -1
    threshold: float = float("nan")
    categories: tuple[int, ...] | None = None
    missing_left: bool = True
    gain: float = 0.0
    impurity: float = 0.0
    children: tuple[int, int] | None = None
    grown_children: tuple[int, int] | None = None
    """The children as grown, kept when pruning merges them (their rows say who went where)."""
    goes_left: npt.NDArray[np.bool_] | None = None


@dataclass
class Data:
    """Binned training data shared by every tree of a fit."""

    xb: npt.NDArray[np.uint8] | npt.NDArray[np.uint16]
    """Bins, feature-major (features x rows): partitioning reads one feature's column."""
    bins: list[FeatureBins]
    y: npt.NDArray[np.int64]
    yf: npt.NDArray[np.float64]
    weight: npt.NDArray[np.float64]
    is_cls: bool
    xbr: npt.NDArray[Any] | None = None
    """The same bins row-major (rows x features), for row-wise histograms; ``None`` in
    MLlib-parity mode, whose histograms add rows in MLlib's order, one feature at a time."""
    stats: tuple[npt.NDArray[np.float64], ...] | None = None
    """Per-row ``(w, w y, w y²)`` already multiplied by the row counts, when the caller has
    them (a boosting step computes them in one pass)."""
    pairs: npt.NDArray[np.float64] | None = None
    """``stats``' ``w`` and ``w y`` side by side (rows x 2), when the caller keeps them so:
    count-less histograms then read one cache line per row for both."""

    @property
    def n_features(self) -> int:
        """Number of features."""
        return int(self.xb.shape[0])


def _stat_arrays(data: Data, counts: npt.NDArray[np.float64]
                 ) -> tuple[npt.NDArray[np.float64], ...]:
    if data.stats is not None:
        return data.stats
    w = data.weight * counts
    if data.is_cls:
        empty = np.empty(0)
        return w, empty, empty
    return w, w * data.yf, w * data.yf * data.yf


@dataclass
class GrownTree:
    """A grown tree, its un-normalised importances, and its splits in bin space."""

    tree: Tree
    importances: npt.NDArray[np.float64]
    bin_goes_left: npt.NDArray[np.bool_]
    """``[node, bin]``: whether a split node sends a bin left (pre-order, as ``tree``)."""
    grown_leaf: npt.NDArray[np.int64] | None = None
    """Each training row's leaf as grown (an index into ``leaf_of_grown``), when every row took
    part in growing (no zero counts)."""
    leaf_of_grown: npt.NDArray[np.int64] | None = None
    """The tree's leaf (pre-order) holding each grown leaf: pruning may merge several."""

    @property
    def leaf_of_row(self) -> npt.NDArray[np.int64] | None:
        """Each training row's leaf in ``tree``, when every row took part in growing."""
        if self.grown_leaf is None or self.leaf_of_grown is None:
            return None
        leaves: npt.NDArray[np.int64] = self.leaf_of_grown[self.grown_leaf]
        return leaves

    def apply_binned(self, xb: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
        """Leaf index of each row of a bin matrix binned with this fit's bins."""
        leaves: npt.NDArray[np.int64] = kernels.apply_binned(
            xb, self.tree.feature, self.tree.left, self.tree.right, self.bin_goes_left)
        return leaves


def grow_tree(data: Data, counts: npt.NDArray[np.float64], config: GrowConfig,
              rng: np.random.Generator) -> GrownTree:
    """Grow one tree on the rows with a positive ``counts`` (bootstrap multiplicity).

    Returns the tree (nodes in pre-order, as MLlib saves them) with its un-normalised
    feature importances (the sum of gain times row count over each feature's splits).
    """
    n_features = data.n_features
    k = config.n_classes + 1 if data.is_cls else 4
    width = max(b.n_bins for b in data.bins) + 1
    is_cat = np.array([b.categorical for b in data.bins])
    n_bins = np.array([b.n_bins for b in data.bins], dtype=np.int64)
    unordered = np.array([b.categorical and config.n_classes > 2 and
                          b.arity <= config.max_unordered_arity for b in data.bins])
    w, wy, wyy = _stat_arrays(data, counts)
    y32 = data.y
    all_features = np.arange(n_features, dtype=np.int64)
    # Outside parity mode, regression histograms leave out the sums of squares: the variance
    # gain needs only sums and counts (sl²/wl + sr²/wr - s²/w, the squares cancel), so split
    # search sees a constant shift of every impurity and picks the same splits. A node's own
    # impurity is then summed from its rows.
    squares = data.is_cls or not config.subtract
    threads = numba.get_num_threads()
    no_rows = np.empty(0, dtype=np.int64)

    counted = config.side_weight is None or data.is_cls or data.xbr is None
    min_side = float(config.min_instances_per_node) if counted else config.side_weight
    assert min_side is not None

    pairs = (data.pairs if data.pairs is not None and not counted and not squares
             else np.empty((0, 2)))

    def histogram(rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        hist = np.zeros((n_features, width, k))
        if data.xbr is not None:
            kernels.build_histogram_rows(data.xbr, rows, y32, w, wy, wyy, counts, data.is_cls,
                                         config.n_classes, hist, squares, counted, threads,
                                         pairs)
            if not counted:
                hist[:, :, k - 1] = hist[:, :, 0]
        else:
            kernels.build_histogram(data.xb, rows, y32, w, wy, wyy, counts, data.is_cls,
                                    config.n_classes, hist, squares)
        return hist

    def impurity_of(stats: npt.NDArray[np.float64], squares_sum: float) -> float:
        if not squares:
            stats = stats.copy()
            stats[2] = squares_sum
        return float(kernels.impurity(stats, config.impurity, config.n_classes))

    present = counts > 0
    root_rows = (np.arange(counts.shape[0], dtype=np.int64) if present.all()
                 else np.flatnonzero(present).astype(np.int64, copy=False))
    root_hist = histogram(root_rows)
    root = _Node(rows=root_rows, stats=root_hist[0].sum(axis=0), depth=0, hist=root_hist)
    if not counted:
        root.stats[-1] = root_rows.size
    # Each row's grown leaf (-1: not sampled): the caller's leaf_of_row, and where the sums of
    # squares come from when the histograms leave them out.
    owner = np.full(counts.shape[0], -1, dtype=np.int64)
    nodes = [root]
    level = [0]
    left_mask = np.zeros(width, dtype=np.bool_)
    while level:
        next_level: list[int] = []
        for index in level:
            node = nodes[index]
            if index == 0 and squares:
                node.impurity = impurity_of(node.stats, 0.0)
            if node.leaf or node.depth >= config.max_depth:
                node.leaf = True
                node.hist = None
                continue
            if config.features_per_node < n_features:
                features = np.sort(rng.choice(n_features, config.features_per_node,
                                              replace=False)).astype(np.int64)
            else:
                features = all_features
            assert node.hist is not None
            gain, f, kind, split_bin, missing_left, left_stats, right_stats = \
                kernels.best_split(node.hist, node.stats, features, is_cat, unordered, n_bins,
                                   config.impurity, config.n_classes,
                                   min_side, config.min_weight,
                                   config.min_info_gain, left_mask, config.min_category_rows)
            if f < 0 or not gain > 0.0:
                node.leaf = True
                node.hist = None
                continue
            goes_left = np.zeros(width, dtype=np.bool_)
            if kind == kernels.CONTINUOUS:
                goes_left[: split_bin + 1] = True
                goes_left[n_bins[f]] = missing_left
                node.threshold = float(data.bins[f].thresholds[split_bin])
                node.missing_left = bool(missing_left)
            else:
                goes_left[:width] = left_mask
                node.categories = tuple(int(c) for c in np.flatnonzero(left_mask[: n_bins[f]]))
            node.feature = int(f)
            node.gain = float(gain)
            node.goes_left = goes_left
            child_depth = node.depth + 1
            base = len(nodes)
            if child_depth >= config.max_depth:
                # both children are leaves: their rows need only be told apart
                n_left = kernels.assign_sides(node.rows, data.xb[f], goes_left, base,
                                              base + 1, owner)
                left_rows = right_rows = no_rows
                sizes = (n_left, node.rows.size - n_left)
            else:
                left_rows, right_rows = kernels.partition(node.rows, data.xb[f], goes_left)
                sizes = (left_rows.size, right_rows.size)
            children = []
            for rows, size, stats in ((left_rows, sizes[0], left_stats),
                                      (right_rows, sizes[1], right_stats)):
                child = _Node(rows=rows, stats=stats.copy(), depth=child_depth)
                if not counted:
                    child.stats[-1] = size
                child.leaf = child_depth >= config.max_depth
                if squares:
                    # a pure node grows no further; without squares its gains say so instead
                    child.impurity = impurity_of(child.stats, 0.0)
                    child.leaf = child.leaf or abs(child.impurity) < EPSILON
                children.append(child)
            small, large = ((0, 1) if sizes[0] <= sizes[1] else (1, 0))
            if not (children[0].leaf and children[1].leaf):
                small_hist = histogram(children[small].rows)
                children[small].hist = small_hist
                children[large].hist = (node.hist - small_hist if config.subtract
                                        else histogram(children[large].rows))
            node.hist = None
            node.rows = no_rows
            nodes.extend(children)
            node.children = node.grown_children = (base, base + 1)
            next_level.extend((base, base + 1))
        level = next_level
    for index, node in enumerate(nodes):
        if node.grown_children is None and node.rows.size:
            owner[node.rows] = index  # leaves above max_depth kept their rows
    if not squares:
        # every node's sum of squares, for its impurity: the leaves' from their rows, each
        # split's from its children
        sums = kernels.sum_by(owner, wyy, len(nodes), threads)
        for index in range(len(nodes) - 1, -1, -1):
            grown = nodes[index].grown_children
            if grown is not None:
                sums[index] = sums[grown[0]] + sums[grown[1]]
        for index, node in enumerate(nodes):
            node.impurity = impurity_of(node.stats, float(sums[index]))
    _prune(nodes, 0, data.is_cls, config.n_classes)
    importances = np.zeros(n_features)
    for node in nodes:
        if node.children is not None:
            # MLlib scales a split's gain by the node's weighted row count.
            importances[node.feature] += node.gain * kernels.weighted_count(
                node.stats, config.impurity, config.n_classes)
    tree, bin_goes_left, order = _to_tree(nodes, data.is_cls, config.n_classes, width)
    if root_rows.size < counts.shape[0]:
        return GrownTree(tree, importances, bin_goes_left)
    leaf_of_grown = np.zeros(len(nodes), dtype=np.int64)
    for new, old in enumerate(order):
        if nodes[old].children is None:
            leaf_of_grown[_grown_below(nodes, old)] = new
    return GrownTree(tree, importances, bin_goes_left, owner, leaf_of_grown)


def _grown_below(nodes: list[_Node], index: int) -> list[int]:
    """``index`` and every node grown under it (a leaf may be a pruned split)."""
    out: list[int] = []
    stack = [index]
    while stack:
        current = stack.pop()
        out.append(current)
        grown = nodes[current].grown_children
        if grown is not None:
            stack.extend(grown)
    return out


def _prediction(stats: npt.NDArray[np.float64], is_cls: bool, n_classes: int) -> float:
    if is_cls:
        return float(np.argmax(stats[:n_classes]))
    return float(stats[1] / stats[0]) if stats[0] > 0 else 0.0


def _prune(nodes: list[_Node], index: int, is_cls: bool, n_classes: int) -> bool:
    """Merge, bottom-up, splits whose two leaves predict the same, as MLlib does; returns
    whether ``index`` is (now) a leaf."""
    node = nodes[index]
    if node.children is None:
        return True
    left_leaf = _prune(nodes, node.children[0], is_cls, n_classes)
    right_leaf = _prune(nodes, node.children[1], is_cls, n_classes)
    if left_leaf and right_leaf:
        left, right = (nodes[c] for c in node.children)
        if _prediction(left.stats, is_cls, n_classes) == _prediction(right.stats, is_cls,
                                                                      n_classes):
            node.children = None
            return True
    return False


def _to_tree(nodes: list[_Node], is_cls: bool, n_classes: int, width: int
             ) -> tuple[Tree, npt.NDArray[np.bool_], list[int]]:
    order: list[int] = []
    stack = [0]
    while stack:
        index = stack.pop()
        order.append(index)
        children = nodes[index].children
        if children is not None:
            stack.append(children[1])
            stack.append(children[0])
    position = {old: new for new, old in enumerate(order)}
    n = len(order)
    value_width = n_classes if is_cls else 1
    tree = Tree(feature=np.full(n, -1, dtype=np.int64), threshold=np.full(n, np.nan),
                left_categories=[None] * n, left=np.full(n, -1, dtype=np.int64),
                right=np.full(n, -1, dtype=np.int64), missing_left=np.ones(n, dtype=bool),
                value=np.zeros((n, value_width)), impurity=np.zeros(n), count=np.zeros(n),
                gain=np.zeros(n))
    bin_goes_left = np.zeros((n, width), dtype=np.bool_)
    for new, old in enumerate(order):
        node = nodes[old]
        stats = node.stats
        tree.impurity[new] = node.impurity
        tree.count[new] = stats[-1]
        if is_cls:
            total = stats[:n_classes].sum()
            tree.value[new] = stats[:n_classes] / total if total > 0 else stats[:n_classes]
        else:
            tree.value[new, 0] = stats[1] / stats[0] if stats[0] > 0 else 0.0
        if node.children is not None:
            tree.feature[new] = node.feature
            tree.threshold[new] = node.threshold
            tree.left_categories[new] = node.categories
            tree.missing_left[new] = node.missing_left
            tree.left[new] = position[node.children[0]]
            tree.right[new] = position[node.children[1]]
            tree.gain[new] = node.gain
            assert node.goes_left is not None
            bin_goes_left[new] = node.goes_left
    return tree, bin_goes_left, order
