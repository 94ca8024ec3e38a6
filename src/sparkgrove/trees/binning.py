"""Binning for the local engine, with thresholds chosen as MLlib chooses them.

For a continuous feature MLlib takes the sorted distinct values of (a sample of) the data: when
there are no more than ``maxBins - 1`` gaps, every midpoint between neighbours is a threshold;
otherwise it walks the values with their (weighted) counts and places a threshold, at the
midpoint, wherever the running count is closest to the next multiple of
``total / maxBins``. A value ``x`` lies in bin ``b`` when ``thr[b-1] < x <= thr[b]``, so
``x <= thr[s]`` is "bin <= s". Missing values (NaN) take an extra last bin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt

EPSILON = float(np.finfo(np.float64).eps)
SAMPLE_FLOOR = 10_000
"""MLlib uses all rows for thresholds up to max(maxBins**2, 10000) rows, and a sample above."""


def continuous_thresholds(values: npt.NDArray[np.float64], weights: npt.NDArray[np.float64],
                          max_splits: int, weighted_total: float, n_examples: int
                          ) -> npt.NDArray[np.float64]:
    """MLlib's thresholds for one feature from sampled non-missing ``values``.

    ``weighted_total`` is MLlib's ``weightedNumSamples``; zeros are counted the way MLlib
    counts them (it drops zero values and adds back the remaining weight as the count of 0).
    """
    if values.size == 0:
        return np.empty(0)
    nonzero = values != 0.0
    uniq, inverse = np.unique(values[nonzero], return_inverse=True)
    counts = np.bincount(inverse, weights=weights[nonzero], minlength=uniq.size)
    tolerance = EPSILON * n_examples * 100
    if weighted_total - float(nonzero.sum()) > tolerance:
        zero_count = weighted_total - float(counts.sum())
        at = int(np.searchsorted(uniq, 0.0))
        uniq = np.insert(uniq, at, 0.0)
        counts = np.insert(counts, at, zero_count)
    possible = uniq.size - 1
    if possible <= 0:
        return np.empty(0)
    if possible <= max_splits:
        midpoints: npt.NDArray[np.float64] = (uniq[:-1] + uniq[1:]) / 2.0
        return midpoints
    strided: npt.NDArray[np.float64] = _strided(uniq, counts.astype(np.float64),
                                                weighted_total / (max_splits + 1))
    return strided


@numba.njit(cache=True)
def _strided(uniq: npt.NDArray[np.float64], counts: npt.NDArray[np.float64], stride: float
             ) -> npt.NDArray[np.float64]:
    out = np.empty(uniq.size, dtype=np.float64)
    n = 0
    current = counts[0]
    target = stride
    for index in range(1, uniq.size):
        previous = current
        current += counts[index]
        if abs(previous - target) < abs(current - target):
            out[n] = (uniq[index - 1] + uniq[index]) / 2.0
            n += 1
            target += stride
    return out[:n]


@numba.njit(parallel=True, cache=True)
def _bin_continuous(x: npt.NDArray[np.float64], thresholds: npt.NDArray[np.float64],
                    missing_bin: int, out: npt.NDArray[np.uint8]) -> None:
    # Pad the thresholds with +inf to 2**k - 1 entries so the search needs no bound checks.
    size = 1
    while size - 1 < thresholds.shape[0]:
        size *= 2
    padded = np.full(size - 1, np.inf)
    padded[: thresholds.shape[0]] = thresholds
    top = size // 2
    for i in numba.prange(x.shape[0]):
        v = x[i]
        if math.isnan(v):
            out[i] = missing_bin
        else:
            # branch-free binary search: the number of thresholds below v
            pos = 0
            step = top
            while step > 0:
                pos += step * (padded[pos + step - 1] < v)
                step >>= 1
            out[i] = pos


@dataclass
class FeatureBins:
    """How one feature is binned: thresholds (continuous) or arity (categorical)."""

    categorical: bool
    thresholds: npt.NDArray[np.float64]
    arity: int

    @property
    def n_bins(self) -> int:
        """Bins holding values (the missing bin of a continuous feature comes after them)."""
        return self.arity if self.categorical else self.thresholds.size + 1

    @property
    def n_splits(self) -> int:
        """Thresholds of a continuous feature (categorical splits are counted elsewhere)."""
        return self.thresholds.size


def fit_bins(columns: list[npt.NDArray[np.float64]], weights: npt.NDArray[np.float64],
             categorical: dict[int, int], max_bins: int, rng: np.random.Generator
             ) -> list[FeatureBins]:
    """Thresholds for every continuous feature and the arity of every categorical one."""
    n_rows, n_features = weights.shape[0], len(columns)
    max_possible = min(max_bins, n_rows)
    required = max(max_bins * max_bins, SAMPLE_FLOOR)
    fraction = required / n_rows if required < n_rows else 1.0
    sample = (np.sort(rng.choice(n_rows, size=required, replace=False)) if fraction < 1.0
              else None)
    ws = weights if sample is None else weights[sample]
    weighted_total = fraction * float(weights.sum())
    out = []
    for j in range(n_features):
        if j in categorical:
            out.append(FeatureBins(True, np.empty(0), categorical[j]))
            continue
        column = columns[j] if sample is None else columns[j][sample]
        present = ~np.isnan(column)
        thresholds = continuous_thresholds(column[present], ws[present], max_possible - 1,
                                           weighted_total - float(ws[~present].sum()), n_rows)
        out.append(FeatureBins(False, thresholds, 0))
    return out


def bin_matrix(columns: list[npt.NDArray[np.float64]], bins: list[FeatureBins]
               ) -> npt.NDArray[np.uint8] | npt.NDArray[np.uint16]:
    """Feature-major bin indices; NaN goes to the bin after the last value bin.

    ``uint8`` while every feature has at most 255 bins (the default ``max_bins=32`` and up to
    254 categories), ``uint16`` for more (``max_bins`` up to 65,535, for MLlib parity).
    """
    n_rows = columns[0].shape[0] if columns else 0
    widest = max((b.n_bins for b in bins), default=0)
    dtype = np.uint8 if widest < 256 else np.uint16
    out = np.empty((len(columns), n_rows), dtype=dtype)
    for j, spec in enumerate(bins):
        column = columns[j]
        if spec.categorical:
            codes = np.where(np.isnan(column), spec.arity - 1, column)
            out[j] = codes.astype(dtype)
        else:
            _bin_continuous(column, spec.thresholds, spec.n_bins, out[j])
    return out
