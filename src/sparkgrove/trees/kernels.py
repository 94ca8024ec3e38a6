"""Compiled kernels of the local engine (numba, cached on disk): histograms, split search,
row partitioning. Statistics per bin are ``K`` numbers: for classification the weighted count
of each class then the raw count; for regression the weighted count, sum, sum of squares,
then the raw count — the sufficient statistics MLlib aggregates.
"""

from __future__ import annotations

import math
import types

import numba
import numpy as np

from sparkgrove.trees.intrinsics import add_pair, prefetch

GINI, ENTROPY, VARIANCE = 0, 1, 2
INVALID = -np.inf
LOG2 = math.log(2.0)

PREFETCH_AHEAD = 8
"""How many rows ahead the row-wise histogram asks for a row's bins and statistics."""

# Split kinds in the result vector of best_split.
CONTINUOUS, ORDERED, UNORDERED = 0, 1, 2


@numba.njit(parallel=True, cache=True)
def build_histogram(xb, rows, y, w, wy, wyy, cnt, is_cls, n_classes, hist, squares):
    """Add the rows' statistics into ``hist[feature, bin, stat]`` (zeroed by the caller).

    The rows' statistics are gathered once into contiguous arrays (LightGBM's "ordered
    gradients"), so each feature's pass reads them in order and gathers only its bin column.
    Without ``squares`` a regression histogram leaves the sums of squares at zero.
    """
    n_features = xb.shape[0]
    n = rows.shape[0]
    k = hist.shape[2]
    if is_cls:
        gy = np.empty(n, dtype=np.int64)
        gw = np.empty(n)
        gc = np.empty(n)
        for i in range(n):
            r = rows[i]
            gy[i] = y[r]
            gw[i] = w[r]
            gc[i] = cnt[r]
        for f in numba.prange(n_features):
            col = xb[f]
            h = hist[f]
            for i in range(n):
                b = col[rows[i]]
                h[b, gy[i]] += gw[i]
                h[b, k - 1] += gc[i]
    else:
        gw = np.empty(n)
        gs = np.empty(n)
        gq = np.empty(n)
        gc = np.empty(n)
        for i in range(n):
            r = rows[i]
            gw[i] = w[r]
            gs[i] = wy[r]
            gq[i] = wyy[r]
            gc[i] = cnt[r]
        if squares:
            for f in numba.prange(n_features):
                col = xb[f]
                h = hist[f]
                for i in range(n):
                    b = col[rows[i]]
                    h[b, 0] += gw[i]
                    h[b, 1] += gs[i]
                    h[b, 2] += gq[i]
                    h[b, 3] += gc[i]
        else:
            for f in numba.prange(n_features):
                col = xb[f]
                h = hist[f]
                for i in range(n):
                    b = col[rows[i]]
                    h[b, 0] += gw[i]
                    h[b, 1] += gs[i]
                    h[b, 3] += gc[i]


@numba.njit(inline="always", cache=True)
def _add_row(flat, row, n_features, stride, width, is_cls, c, wr, sr, qr, cr, squares, counted):
    # A flat (feature, bin, stat) histogram indexed by unsigned offsets (numba then checks no
    # index for being negative, which costs this loop 40%), adjacent pairs of statistics added
    # as one vector (half the stores, which bound this loop).
    base = np.uint64(0)
    if is_cls:
        cu = np.uint64(c)
        last = width - np.uint64(1)
        for f in range(n_features):
            j = base + width * np.uint64(row[f])
            flat[j + cu] += wr
            flat[j + last] += cr
            base += stride
    elif squares:
        for f in range(n_features):
            j = base + width * np.uint64(row[f])
            add_pair(flat, j, wr, sr)
            add_pair(flat, j + np.uint64(2), qr, cr)
            base += stride
    elif counted:
        for f in range(n_features):
            j = base + width * np.uint64(row[f])
            add_pair(flat, j, wr, sr)
            flat[j + np.uint64(3)] += cr
            base += stride
    else:
        for f in range(n_features):
            add_pair(flat, base + width * np.uint64(row[f]), wr, sr)
            base += stride


@numba.njit(parallel=True, cache=True)
def build_histogram_rows(xbr, rows, y, w, wy, wyy, cnt, is_cls, n_classes, hist, squares,
                         counted, n_threads, pairs):
    """:func:`build_histogram` over the row-major bin matrix ``xbr`` (rows x features): each
    thread takes a share of the rows and reads each row's bins in one cache line (LightGBM's
    row-wise histograms), into a histogram of its own; the shares are then added up. The row
    ``PREFETCH_AHEAD`` places on is asked for early: a deep node's rows are sparse. When
    ``rows`` is every row, they are read in order, without the index.

    Without ``counted`` a regression histogram leaves the raw counts at zero too (two numbers
    per bin instead of three: the caller knows its nodes' sizes another way). ``pairs``, when
    not empty (and only then, without counts), holds ``w`` and ``wy`` side by side (rows x 2):
    a sparse row's statistics are then one cache line, not two."""
    n = rows.shape[0]
    dense = n == xbr.shape[0]
    n_features = xbr.shape[1]
    n_bins = hist.shape[1]
    k = hist.shape[2]
    # two numbers per bin are summed in a histogram half as wide, which stays in L1
    compact = not is_cls and not squares and not counted
    kl = 2 if compact else k
    local = np.zeros((n_threads, n_features * n_bins * kl))
    width = np.uint64(kl)
    stride = np.uint64(n_bins * kl)
    step = (n + n_threads - 1) // n_threads
    paired = pairs.shape[0] > 0
    for t in numba.prange(n_threads):
        flat = local[t]
        start = t * step
        stop = min(n, start + step)
        if dense:
            for r in range(start, stop):
                _add_row(flat, xbr[r], n_features, stride, width, is_cls,
                         y[r] if is_cls else 0, w[r], 0.0 if is_cls else wy[r],
                         wyy[r] if squares and not is_cls else 0.0, cnt[r], squares, counted)
            continue
        for i in range(start, stop):
            if i + PREFETCH_AHEAD < stop:
                ahead = rows[i + PREFETCH_AHEAD]
                prefetch(xbr, ahead)
                if paired:
                    prefetch(pairs, ahead)
                else:
                    prefetch(w, ahead)
                    prefetch(cnt, ahead)
                    if is_cls:
                        prefetch(y, ahead)
                    else:
                        prefetch(wy, ahead)
            r = rows[i]
            if paired:
                _add_row(flat, xbr[r], n_features, stride, width, False, 0, pairs[r, 0],
                         pairs[r, 1], 0.0, 0.0, False, False)
                continue
            _add_row(flat, xbr[r], n_features, stride, width, is_cls, y[r] if is_cls else 0,
                     w[r], 0.0 if is_cls else wy[r], wyy[r] if squares and not is_cls else 0.0,
                     cnt[r], squares, counted)
    for t in range(n_threads):
        summed = local[t].reshape((n_features, n_bins, kl))
        if compact:
            hist[:, :, 0] += summed[:, :, 0]
            hist[:, :, 1] += summed[:, :, 1]
        else:
            hist += summed


@numba.njit(cache=True)
def impurity(stats, code, n_classes):
    """MLlib's gini, entropy or variance of one statistics vector."""
    if code == VARIANCE:
        count = stats[0]
        if count == 0.0:
            return 0.0
        # MLlib's VarianceCalculator, in its arithmetic order, so exact ties break alike
        return (stats[2] - stats[1] * stats[1] / count) / count
    total = 0.0
    for c in range(n_classes):
        total += stats[c]
    if total == 0.0:
        return 0.0
    if code == GINI:
        value = 1.0
        for c in range(n_classes):
            freq = stats[c] / total
            value -= freq * freq
        return value
    value = 0.0
    for c in range(n_classes):
        if stats[c] != 0.0:
            freq = stats[c] / total
            value -= freq * (math.log(freq) / LOG2)
    return value


@numba.njit(cache=True)
def weighted_count(stats, code, n_classes):
    """Weighted number of rows behind ``stats``."""
    if code == VARIANCE:
        return stats[0]
    total = 0.0
    for c in range(n_classes):
        total += stats[c]
    return total


@numba.njit(cache=True)
def _gain(left, right, parent_imp, parent_w, code, n_classes, min_inst, min_weight,
          min_gain):
    k = left.shape[0]
    if left[k - 1] < min_inst or right[k - 1] < min_inst:
        return INVALID
    lw = weighted_count(left, code, n_classes)
    rw = weighted_count(right, code, n_classes)
    if lw < min_weight or rw < min_weight:
        return INVALID
    li = impurity(left, code, n_classes)
    ri = impurity(right, code, n_classes)
    gain = parent_imp - (lw / parent_w) * li - (rw / parent_w) * ri
    if gain < min_gain:
        return INVALID
    return gain


@numba.njit(cache=True)
def best_split(hist, total, features, is_cat, unordered, n_bins, code, n_classes, min_inst,
               min_weight, min_gain, left_mask, min_group):
    """The best split of a node, choosing the first of equal gains as MLlib does.

    Ordered categorical splits of a regression node sort its categories by their mean target;
    a category with fewer than ``min_group`` rows in the node is not placed by its own mean
    (too noisy) but sent after the others, with the missing and unseen values, as LightGBM's
    ``min_data_per_group`` does. MLlib-parity mode passes 0.

    Returns ``(gain, feature, kind, split_bin, missing_left, left_stats, right_stats)``;
    for categorical splits ``left_mask[category]`` is set for categories sent left.
    """
    k = total.shape[0]
    parent_imp = impurity(total, code, n_classes)
    parent_w = weighted_count(total, code, n_classes)
    best_gain = INVALID
    best_f = -1
    best_kind = CONTINUOUS
    best_bin = -1
    best_missing_left = True
    best_left = np.zeros(k)
    best_right = np.zeros(k)
    left = np.zeros(k)
    right = np.zeros(k)
    for fi in range(features.shape[0]):
        f = features[fi]
        h = hist[f]
        nb = n_bins[f]
        if not is_cat[f]:
            if nb < 2:
                continue
            missing = h[nb]
            has_missing = missing[k - 1] > 0.0
            present = np.zeros(k)
            for b in range(nb):
                present += h[b]
            acc = np.zeros(k)
            for s in range(nb - 1):
                acc += h[s]
                for side in range(2 if has_missing else 1):
                    # element by element: no temporary arrays in this, the hottest loop
                    for j in range(k):
                        if has_missing and side == 0:
                            left[j] = acc[j] + missing[j]
                            right[j] = present[j] - acc[j]
                        elif has_missing:
                            left[j] = acc[j]
                            right[j] = present[j] - acc[j] + missing[j]
                        else:
                            left[j] = acc[j]
                            right[j] = present[j] - acc[j]
                    gain = _gain(left, right, parent_imp, parent_w, code, n_classes, min_inst,
                                 min_weight, min_gain)
                    if best_f == -1 or gain > best_gain:
                        best_gain = gain
                        best_f = f
                        best_kind = CONTINUOUS
                        best_bin = s
                        if has_missing:
                            best_missing_left = side == 0
                        else:
                            best_missing_left = (weighted_count(left, code, n_classes) >=
                                                 weighted_count(right, code, n_classes))
                        best_left[:] = left
                        best_right[:] = right
        elif unordered[f]:
            arity = nb
            n_splits = (1 << (arity - 1)) - 1
            for s in range(n_splits):
                bits = s + 1
                left[:] = 0.0
                for c in range(arity):
                    if (bits >> c) & 1:
                        left += h[c]
                for j in range(k):
                    right[j] = total[j] - left[j]
                gain = _gain(left, right, parent_imp, parent_w, code, n_classes, min_inst,
                             min_weight, min_gain)
                if best_f == -1 or gain > best_gain:
                    best_gain = gain
                    best_f = f
                    best_kind = UNORDERED
                    best_bin = bits
                    best_left[:] = left
                    best_right[:] = right
        else:
            arity = nb
            if arity < 2:
                continue
            centroid = np.empty(arity)
            for c in range(arity):
                stats = h[c]
                if stats[k - 1] == 0.0 or (code == VARIANCE and stats[k - 1] < min_group):
                    centroid[c] = np.inf
                elif code == VARIANCE:
                    centroid[c] = stats[1] / stats[0]
                elif n_classes > 2:
                    centroid[c] = impurity(stats, code, n_classes)
                else:
                    centroid[c] = stats[1]
            order = np.argsort(centroid, kind="mergesort")
            acc = np.zeros(k)
            whole = np.zeros(k)
            for c in range(arity):
                whole += h[c]
            for s in range(arity - 1):
                acc += h[order[s]]
                for j in range(k):
                    left[j] = acc[j]
                    right[j] = whole[j] - acc[j]
                gain = _gain(left, right, parent_imp, parent_w, code, n_classes, min_inst,
                             min_weight, min_gain)
                if best_f == -1 or gain > best_gain:
                    best_gain = gain
                    best_f = f
                    best_kind = ORDERED
                    best_bin = s
                    best_left[:] = left
                    best_right[:] = right
                    left_mask[:] = False
                    for t in range(s + 1):
                        left_mask[order[t]] = True
    if best_kind == UNORDERED and best_f >= 0:
        left_mask[:] = False
        for c in range(n_bins[best_f]):
            if (best_bin >> c) & 1:
                left_mask[c] = True
    return best_gain, best_f, best_kind, best_bin, best_missing_left, best_left, best_right


@numba.njit(cache=True)
def _chunks(n):
    # chunks of rows for partitioning in parallel: from 8,192 rows, at most 64
    n_chunks = max(1, min(64, n // 8192))
    return n_chunks, (n + n_chunks - 1) // n_chunks


@numba.njit(parallel=True, cache=True)
def partition(rows, col, goes_left):
    """Split ``rows`` (kept in order) by ``goes_left[bin of the row]``.

    Chunks of rows are counted in parallel, then each writes its rows at its offsets: the
    rows are the same as one sequential pass gives.
    """
    n = rows.shape[0]
    n_chunks, size = _chunks(n)
    lefts = np.zeros(n_chunks, dtype=np.int64)
    for c in numba.prange(n_chunks):
        a = 0
        for i in range(c * size, min(n, (c + 1) * size)):
            a += goes_left[col[rows[i]]]
        lefts[c] = a
    n_left = 0
    starts_left = np.empty(n_chunks, dtype=np.int64)
    starts_right = np.empty(n_chunks, dtype=np.int64)
    for c in range(n_chunks):
        starts_left[c] = n_left
        starts_right[c] = c * size - n_left
        n_left += lefts[c]
    left = np.empty(n_left + 1, dtype=rows.dtype)
    right = np.empty(n - n_left + 1, dtype=rows.dtype)
    spare_left = n_left
    spare_right = n - n_left
    for c in numba.prange(n_chunks):
        a = starts_left[c]
        b = starts_right[c]
        end_a = a + lefts[c]
        stop = min(n, (c + 1) * size)
        end_b = b + (stop - c * size) - lefts[c]
        for i in range(c * size, stop):
            # Branch-free, as a split sends rows either way unpredictably: each row is written
            # to both sides and kept on one; a write past a chunk's share goes to a spare slot.
            r = rows[i]
            go = np.int64(goes_left[col[r]])
            left[a if a < end_a else spare_left] = r
            right[b if b < end_b else spare_right] = r
            a += go
            b += 1 - go
    return left[:n_left], right[:n - n_left]


@numba.njit(parallel=True, cache=True)
def assign_sides(rows, col, goes_left, left_id, right_id, owner):
    """:func:`partition` for a split whose children are leaves: no row lists, only
    ``owner[row] = left_id or right_id``; returns the number of rows sent left."""
    n = rows.shape[0]
    n_chunks, size = _chunks(n)
    n_left = 0
    for c in numba.prange(n_chunks):
        for i in range(c * size, min(n, (c + 1) * size)):
            r = rows[i]
            go = goes_left[col[r]]
            n_left += 1 if go else 0
            owner[r] = left_id if go else right_id
    return n_left


@numba.njit(parallel=True, cache=True)
def sum_by(index, values, n_bins, n_threads):
    """``np.bincount(index, values, n_bins)`` over the rows with ``index >= 0``, rows in
    parallel (a share per thread, then the shares added)."""
    n = index.shape[0]
    local = np.zeros((n_threads, n_bins))
    step = (n + n_threads - 1) // n_threads
    for t in numba.prange(n_threads):
        sums = local[t]
        for i in range(t * step, min(n, (t + 1) * step)):
            b = index[i]
            if b >= 0:
                sums[b] += values[i]
    out = np.zeros(n_bins)
    for t in range(n_threads):
        out += local[t]
    return out


@numba.njit(parallel=True, cache=True)
def apply_tree(x, feature, threshold, left, right, missing_left, is_cat, goes_left):
    """Leaf index reached by each row of ``x`` (rows in parallel)."""
    n = x.shape[0]
    out = np.empty(n, dtype=np.int64)
    width = goes_left.shape[1] - 1
    for i in numba.prange(n):
        node = 0
        while feature[node] != -1:
            v = x[i, feature[node]]
            if math.isnan(v):
                go = missing_left[node]
            elif is_cat[node]:
                c = int(v)
                go = goes_left[node, min(max(c, 0), width)]
            else:
                go = v <= threshold[node]
            node = left[node] if go else right[node]
        out[i] = node
    return out


@numba.njit(parallel=True, cache=True)
def apply_binned(xb, feature, left, right, goes_left):
    """Leaf index reached by each row of the feature-major bin matrix ``xb``, where
    ``goes_left[node, bin]`` says which way a split node sends a bin."""
    n = xb.shape[1]
    out = np.empty(n, dtype=np.int64)
    for i in numba.prange(n):
        node = 0
        while feature[node] != -1:
            node = left[node] if goes_left[node, xb[feature[node], i]] else right[node]
        out[i] = node
    return out


LOGISTIC, SQUARED, ABSOLUTE = 0, 1, 2


@numba.njit(parallel=True, cache=True)
def _step_rows(score, target, weight, counts, loss, newton, w, wy, wyy):
    n = score.shape[0]
    for i in numba.prange(n):
        y = target[i]
        h = 1.0
        if loss == LOGISTIC:
            # score holds exp(2 y F) here: numpy's vectorised exp, done by the caller
            g = 4.0 * y / (1.0 + score[i])  # the negative gradient
            if newton:
                h = max(g * y * (2.0 - 0.5 * g * y), 1e-12)
        elif loss == SQUARED:
            g = 2.0 * (y - score[i])
            if newton:
                h = 2.0
        else:
            g = -1.0 if y - score[i] < 0.0 else 1.0
        r = g / h
        wi = weight[i] * counts[i] * h
        w[i] = wi
        wy[i] = wi * r
        wyy[i] = wi * r * r


Stats = tuple[np.ndarray, np.ndarray, np.ndarray]


def step_stats(score: np.ndarray, target: np.ndarray, weight: np.ndarray, counts: np.ndarray,
               loss: int, newton: bool = True, out: tuple[np.ndarray, ...] | None = None,
               growth: np.ndarray | None = None) -> Stats:
    """One boosting step's per-row statistics: the weight ``w = weight x count x h``, ``w r``
    and ``w r²`` for the step ``r = -g / h`` of MLlib's logistic loss ``2 log(1 + exp(-2yF))``,
    squared loss ``(y - F)²`` or absolute loss ``|y - F|``; without ``newton``, ``h = 1``:
    MLlib's trees on the negative gradient, with numpy's arithmetic of that gradient. ``out``
    (three arrays, or four with a scratch one for the logistic loss) is reused between steps
    instead of new arrays. ``growth``, when given, is ``exp(2yF)`` kept by
    :func:`add_leaf_values` (no ``exp`` here)."""
    n = score.shape[0]
    w, wy, wyy, scratch = out if out is not None else (np.empty(n), np.empty(n), np.empty(n),
                                                      np.empty(n))
    values = score
    if loss == LOGISTIC and growth is not None:
        values = growth
    elif loss == LOGISTIC:
        np.multiply(target, score, out=scratch)
        scratch *= 2.0
        with np.errstate(over="ignore"):  # exp(large) is inf: g is then 0, as it should be
            np.exp(scratch, out=scratch)
        values = scratch
    _step_rows(values, target, weight, counts, loss, newton, w, wy, wyy)
    return w, wy, wyy


@numba.njit(parallel=True, cache=True)
def add_leaf_values(score, leaves, values, step, target, growth):
    """One boosting step: ``score += step * values[leaves]``, the same arithmetic as numpy's.

    ``growth`` (or an empty array) holds ``exp(2 y F)`` for the logistic loss and follows the
    score by one product per row with its leaf's ``exp(±2 step value)``, instead of an ``exp``
    per row and step; a product that underflows to 0 or overflows is recomputed exactly."""
    n_leaves = values.shape[0]
    up = np.empty(n_leaves)
    down = np.empty(n_leaves)
    for j in range(n_leaves):
        up[j] = math.exp(2.0 * step * values[j])
        down[j] = math.exp(-2.0 * step * values[j])
    with_growth = growth.shape[0] > 0
    for i in numba.prange(score.shape[0]):
        leaf = leaves[i]
        score[i] += step * values[leaf]
        if with_growth:
            g = growth[i] * (up[leaf] if target[i] > 0.0 else down[leaf])
            if g == 0.0 or not math.isfinite(g):
                g = math.exp(2.0 * target[i] * score[i])
            growth[i] = g


def _forest_values(x, roots, feature, threshold, left, right, missing_left, is_cat, goes_left,
                   value, weights, mean, out):
    """Combine the leaf values every tree gives each row of ``x`` into ``out`` (zeros): in tree
    order, ``out += value`` then ``/ n_trees`` (``mean``) or ``out += weight * value`` (a sum),
    the same arithmetic as numpy over one tree at a time. One output column (regression, boosting)
    is summed in a register."""
    n_out = value.shape[1]
    n_trees = roots.shape[0]
    for i in numba.prange(x.shape[0]):
        row = x[i]
        if n_out == 1:
            acc = 0.0
            for t in range(n_trees):
                leaf = _leaf_of(row, roots[t], feature, threshold, left, right, missing_left,
                                is_cat, goes_left)
                acc += value[leaf, 0] if mean else weights[t] * value[leaf, 0]
            out[i, 0] = acc
        else:
            for t in range(n_trees):
                leaf = _leaf_of(row, roots[t], feature, threshold, left, right, missing_left,
                                is_cat, goes_left)
                for k in range(n_out):
                    out[i, k] += value[leaf, k] if mean else weights[t] * value[leaf, k]
        if mean:
            for k in range(n_out):
                out[i, k] /= n_trees


@numba.njit(inline="always", cache=True)
def _leaf_of(row, node, feature, threshold, left, right, missing_left, is_cat, goes_left):
    width = goes_left.shape[1] - 1
    f = feature[node]
    while f >= 0:
        v = row[f]
        if math.isnan(v):
            go = missing_left[node]
        elif is_cat[node]:
            go = goes_left[node, min(max(int(v), 0), width)]
        else:
            go = v <= threshold[node]
        node = left[node] if go else right[node]
        f = feature[node]
    return node


def _named_copy(func, name):
    """``func`` under another name: numba's disk cache is keyed by the function's name, so two
    compilations of one function (serial and parallel) would otherwise load each other's."""
    copy = types.FunctionType(func.__code__, func.__globals__, name, func.__defaults__,
                              func.__closure__)
    copy.__qualname__ = name
    return copy


forest_values = numba.njit(cache=True)(_named_copy(_forest_values, "forest_values"))
"""The serial kernel: no thread start-up, for the few rows of an online request."""
forest_values_parallel = numba.njit(parallel=True, cache=True)(
    _named_copy(_forest_values, "forest_values_parallel"))
"""Rows in parallel, for batches."""
