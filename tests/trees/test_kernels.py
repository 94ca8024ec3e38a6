import numpy as np
import pytest

from sparkgrove.trees import kernels


@pytest.mark.parametrize("n", [0, 1, 5, 8_192, 8_193, 16_385, 300_001])
def test_partition_keeps_row_order_across_chunk_boundaries(n: int) -> None:
    rng = np.random.default_rng(n)
    col = rng.integers(0, 32, 600_000).astype(np.uint8)
    goes_left = rng.random(33) < 0.5
    rows = np.sort(rng.choice(600_000, n, replace=False)).astype(np.int64)
    expected = goes_left[col[rows]]
    left, right = kernels.partition(rows, col, goes_left)
    np.testing.assert_array_equal(left, rows[expected])
    np.testing.assert_array_equal(right, rows[~expected])
    owner = np.full(600_000, -1, dtype=np.int64)
    assert kernels.assign_sides(rows, col, goes_left, 7, 8, owner) == expected.sum()
    np.testing.assert_array_equal(owner[rows], np.where(expected, 7, 8))
    assert (np.delete(owner, rows) == -1).all()


def test_step_stats_are_the_newton_and_gradient_steps() -> None:
    rng = np.random.default_rng(0)
    score, target = rng.normal(size=50), np.where(rng.random(50) < 0.5, -1.0, 1.0)
    weight, counts = rng.random(50), (rng.random(50) < 0.8).astype(float)
    w, wy, wyy = kernels.step_stats(score, target, weight, counts, kernels.LOGISTIC)
    g = 4 * target / (1 + np.exp(2 * target * score))
    h = 8 * np.exp(2 * target * score) / (1 + np.exp(2 * target * score)) ** 2
    np.testing.assert_allclose(w, weight * counts * h)
    np.testing.assert_allclose(wy, weight * counts * g, atol=1e-12)
    np.testing.assert_allclose(wyy, weight * counts * g * g / h, atol=1e-12)
    w, wy, _ = kernels.step_stats(score, target, weight, counts, kernels.SQUARED)
    np.testing.assert_allclose(wy, weight * counts * 2 * (target - score))
    # MLlib's steps: trees on the negative gradient, numpy's arithmetic to the last bit
    gradients = {kernels.LOGISTIC: 4.0 * target / (1.0 + np.exp(2.0 * target * score)),
                 kernels.SQUARED: 2.0 * (target - score),
                 kernels.ABSOLUTE: np.where(target - score < 0.0, -1.0, 1.0)}
    for loss, gradient in gradients.items():
        w, wy, wyy = kernels.step_stats(score, target, weight, counts, loss, newton=False)
        np.testing.assert_array_equal(w, weight * counts)
        np.testing.assert_array_equal(wy, weight * counts * gradient)
        np.testing.assert_array_equal(wyy, weight * counts * gradient * gradient)


@pytest.mark.parametrize("every_row", [True, False])
def test_histograms_without_counts_sum_the_same_weights(every_row: bool) -> None:
    rng = np.random.default_rng(7)
    n, n_features = 20_000, 6
    xbr = rng.integers(0, 9, size=(n, n_features)).astype(np.uint8)
    w, wy, cnt = rng.random(n), rng.normal(size=n), np.ones(n)
    rows = (np.arange(n) if every_row else np.sort(rng.choice(n, 5_000, replace=False))
            ).astype(np.int64)
    y = np.zeros(n, dtype=np.int64)
    counted, compact, paired = (np.zeros((n_features, 10, 4)) for _ in range(3))
    no_pairs, pairs = np.empty((0, 2)), np.stack([w, wy], axis=1)
    for hist, with_counts, side_by_side in ((counted, True, no_pairs),
                                            (compact, False, no_pairs),
                                            (paired, False, pairs)):
        kernels.build_histogram_rows(xbr, rows, y, w, wy, np.empty(0), cnt, False, 0, hist,
                                     False, with_counts, 2, side_by_side)
    np.testing.assert_array_equal(paired, compact)
    expected = np.zeros((n_features, 10))
    for f in range(n_features):
        np.add.at(expected[f], xbr[rows, f], w[rows])
    np.testing.assert_allclose(compact[:, :, 0], expected)
    np.testing.assert_allclose(compact[:, :, :2], counted[:, :, :2])
    assert not compact[:, :, 2:].any()
    assert (counted[:, :, 3].sum(axis=1) == rows.size).all()


def test_leaf_values_move_the_score_and_its_exponential_together() -> None:
    rng = np.random.default_rng(4)
    n = 5_000
    target = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    score = rng.normal(size=n)
    score[:3] = [400.0, -400.0, 0.0]  # exp(2yF) overflows or underflows for the first two
    with np.errstate(over="ignore"):
        growth = np.exp(2 * target * score)
    expected = score.copy()
    for _ in range(30):
        values = rng.normal(scale=3.0, size=16)
        leaves = rng.integers(0, 16, n)
        expected += 0.5 * values[leaves]
        kernels.add_leaf_values(score, leaves, values, 0.5, target, growth)
    np.testing.assert_array_equal(score, expected)
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(growth, np.exp(2 * target * expected), rtol=1e-12)
    assert np.isfinite(growth[2])
    plain = expected.copy()
    kernels.add_leaf_values(plain, np.zeros(n, dtype=np.int64), np.ones(1), 0.1, target,
                            np.empty(0))
    np.testing.assert_array_equal(plain, expected + 0.1)
