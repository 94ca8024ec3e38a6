"""A ``TreeModel``'s trees laid end to end for one compiled pass over all of them.

Every tree's node arrays are concatenated (child indices made absolute) and each categorical
split's left set becomes a row of a boolean table, so predicting a row costs one kernel call
whatever the number of trees: what online serving needs, where a call per tree would cost more
than the trees themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from sparkgrove.trees.kernels import forest_values, forest_values_parallel

if TYPE_CHECKING:
    from sparkgrove.trees.model import TreeModel

PARALLEL_ROWS = 2048
"""Inputs with at least this many rows are predicted with rows in parallel."""
LEAF = -1


@dataclass(frozen=True)
class CompiledForest:
    """Flat arrays of every tree of a model, ready for :func:`kernels.forest_values`."""

    roots: npt.NDArray[np.int64]
    feature: npt.NDArray[np.int64]
    threshold: npt.NDArray[np.float64]
    left: npt.NDArray[np.int64]
    right: npt.NDArray[np.int64]
    missing_left: npt.NDArray[np.bool_]
    is_cat: npt.NDArray[np.bool_]
    goes_left: npt.NDArray[np.bool_]
    value: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float64]
    mean: bool

    @classmethod
    def of(cls, model: TreeModel) -> CompiledForest:
        """Lay out ``model``'s trees."""
        width = max([f.arity for f in model.features if f.kind == "categorical"], default=1)
        sizes = [t.n_nodes for t in model.trees]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        total = int(sum(sizes))
        feature = np.concatenate([t.feature for t in model.trees]).astype(np.int64)
        split = feature != LEAF
        left = np.concatenate([t.left + o for t, o in zip(model.trees, offsets, strict=True)])
        right = np.concatenate([t.right + o for t, o in zip(model.trees, offsets, strict=True)])
        left[~split] = LEAF
        right[~split] = LEAF
        goes_left = np.zeros((total, width + 1), dtype=bool)
        is_cat = np.zeros(total, dtype=bool)
        for tree, offset in zip(model.trees, offsets, strict=True):
            for node, cats in enumerate(tree.left_categories):
                if cats is not None:
                    is_cat[offset + node] = True
                    goes_left[offset + node, list(cats)] = True
        mean = model.ensemble == "mean"
        weights = (np.ones(len(model.trees)) if mean
                   else np.asarray(model.tree_weights, dtype=np.float64))
        return cls(roots=offsets, feature=feature,
                   threshold=np.concatenate([t.threshold for t in model.trees]),
                   left=left.astype(np.int64), right=right.astype(np.int64),
                   missing_left=np.concatenate([t.missing_left for t in model.trees]),
                   is_cat=is_cat, goes_left=goes_left,
                   value=np.ascontiguousarray(np.concatenate([t.value for t in model.trees])),
                   weights=weights, mean=mean)

    def values(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The combined leaf values of each row of the encoded input ``x``."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.zeros((x.shape[0], self.value.shape[1]), dtype=np.float64)
        kernel = forest_values_parallel if x.shape[0] >= PARALLEL_ROWS else forest_values
        kernel(x, self.roots, self.feature, self.threshold, self.left, self.right,
               self.missing_left, self.is_cat, self.goes_left, self.value, self.weights,
               self.mean, out)
        return out
