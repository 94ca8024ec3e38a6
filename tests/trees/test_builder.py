from dataclasses import replace

import numpy as np
import pytest

from sparkgrove.trees import kernels
from sparkgrove.trees.binning import bin_matrix, fit_bins
from sparkgrove.trees.builder import Data, GrowConfig, grow_tree


def _data(n: int = 3_000) -> tuple[Data, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 4))
    y = x[:, 0] * 2 + (x[:, 1] > 0.5) + rng.normal(scale=0.1, size=n)
    columns = [x[:, j].copy() for j in range(4)]
    bins = fit_bins(columns, np.ones(n), {}, 32, np.random.default_rng(0))
    xb = bin_matrix(columns, bins)
    data = Data(xb=xb, bins=bins, y=np.zeros(n, dtype=np.int64), yf=y, weight=np.ones(n),
                is_cls=False, xbr=np.ascontiguousarray(xb.T))
    return data, rng.random(n) < 0.8


@pytest.mark.parametrize("min_instances", [1, 40])
def test_unit_weights_split_the_same_without_counting_rows(min_instances: int) -> None:
    # Boosting's fast path: a side's weight is its row count, so min_instances - 0.5 is the rule
    data, sampled = _data()
    counts = sampled.astype(np.float64)
    config = GrowConfig(max_depth=6, impurity=kernels.VARIANCE, n_classes=0,
                        min_instances_per_node=min_instances, min_weight=0.0, min_info_gain=0.0,
                        features_per_node=4, max_unordered_arity=0)
    counted = grow_tree(data, counts, config, np.random.default_rng(0)).tree
    fast = grow_tree(data, counts, replace(config, side_weight=min_instances - 0.5),
                     np.random.default_rng(0)).tree
    np.testing.assert_array_equal(fast.feature, counted.feature)
    np.testing.assert_array_equal(fast.threshold, counted.threshold)
    np.testing.assert_array_equal(fast.count, counted.count)
    np.testing.assert_allclose(fast.value, counted.value)
    assert fast.count[0] == sampled.sum()
    leaves = fast.feature == -1
    assert fast.count[leaves].sum() == sampled.sum()
    assert fast.count[leaves].min() >= min_instances


@pytest.mark.parametrize("sample", [False, True])
def test_every_node_has_the_variance_of_its_rows(sample: bool) -> None:
    # Outside parity mode histograms leave the sums of squares out; nodes' impurities come
    # from their rows after growing, sampled rows only
    data, sampled = _data()
    if not sample:
        sampled[:] = True
    config = GrowConfig(max_depth=4, impurity=kernels.VARIANCE, n_classes=0,
                        min_instances_per_node=1, min_weight=0.0, min_info_gain=0.0,
                        features_per_node=4, max_unordered_arity=0)
    grown = grow_tree(data, sampled.astype(np.float64), config, np.random.default_rng(0))
    tree = grown.tree
    leaves = grown.apply_binned(data.xb)
    if not sample:
        assert grown.leaf_of_row is not None
        np.testing.assert_array_equal(grown.leaf_of_row, leaves)
    assert tree.impurity[0] == pytest.approx(data.yf[sampled].var(), rel=1e-9)
    for leaf in np.flatnonzero(tree.feature == -1):
        rows = sampled & (leaves == leaf)
        assert tree.count[leaf] == rows.sum()
        assert tree.impurity[leaf] == pytest.approx(data.yf[rows].var(), rel=1e-6, abs=1e-9)
