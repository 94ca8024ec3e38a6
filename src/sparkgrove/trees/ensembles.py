"""Random forests and gradient-boosted trees of the local engine, as MLlib grows them.

Forests: Poisson bootstrap (``subsampling_rate`` per row) and MLlib's
``featureSubsetStrategy``; leaf values are averaged.

Gradient boosting follows MLlib's ``GradientBoostedTrees.boost``: the first tree is a regression
tree fitted to the label itself (for classification the label mapped to -1/+1) with weight 1; each
later tree, with weight ``step_size``, is fitted to the negative gradient of MLlib's loss at the
current score (``logistic``: ``4y / (1 + exp(2yF))``; ``squared``: ``2(y - F)``; ``absolute``:
the sign of ``y - F``). The thresholds are found once. With ``validation_fraction``, that
share of rows is held out and boosting stops, as MLlib's ``runWithValidation`` does, when the
held-out loss improves by less than ``validation_tol * max(loss, 0.01)``; the trees up to the
best iteration are kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from sparkgrove.errors import ConfigError, DataError
from sparkgrove.trees import kernels
from sparkgrove.trees.binning import FeatureBins
from sparkgrove.trees.builder import Data, grow_tree
from sparkgrove.trees.estimators import ClassifierBase, Prepared, RegressorBase, _normalised
from sparkgrove.trees.model import Tree

SUBSET_STRATEGIES: dict[str, Callable[[int], int]] = {
    "all": lambda n: n,
    "sqrt": lambda n: max(1, math.ceil(math.sqrt(n))),
    "log2": lambda n: max(1, math.ceil(math.log2(n))),
    "onethird": lambda n: max(1, math.ceil(n / 3.0)),
}

Array = npt.NDArray[Any]
# MLlib's losses: (negative gradient, error) of a score F against a label y.
LOSSES: dict[str, tuple[Callable[[Array, Array], Array], Callable[[Array, Array], Array]]] = {
    "logistic": (lambda f, y: 4.0 * y / (1.0 + np.exp(2.0 * y * f)),
                 lambda f, y: 2.0 * np.logaddexp(0.0, -2.0 * y * f)),
    "squared": (lambda f, y: 2.0 * (y - f), lambda f, y: (y - f) ** 2),
    "absolute": (lambda f, y: np.where(y - f < 0.0, -1.0, 1.0), lambda f, y: np.abs(y - f)),
}


def features_per_node(strategy: str | int | float, n_features: int, n_trees: int,
                      task: str) -> int:
    """Features tried at each node under MLlib's ``featureSubsetStrategy``."""
    if strategy == "auto":
        strategy = "all" if n_trees == 1 else ("sqrt" if task == "classification"
                                               else "onethird")
    if isinstance(strategy, str) and strategy in SUBSET_STRATEGIES:
        return SUBSET_STRATEGIES[strategy](n_features)
    if isinstance(strategy, str):
        try:
            strategy = float(strategy) if "." in strategy else int(strategy)
        except ValueError:
            strategy = -1
    if isinstance(strategy, int | np.integer) and not isinstance(strategy, bool) and strategy >= 1:
        return min(int(strategy), n_features)
    if isinstance(strategy, float) and 0 < strategy <= 1:
        return max(1, math.ceil(strategy * n_features))
    raise ConfigError(
        "The 'feature_subset_strategy' parameter must be 'auto', 'all', 'sqrt', 'log2', "
        f"'onethird', an int >= 1 or a fraction in (0, 1]. Got {strategy!r} instead.")


class _Forest:
    """Growing a random forest (mixed into the classifier and regressor)."""

    n_trees: int
    feature_subset_strategy: str | int | float
    subsampling_rate: float
    bootstrap: bool
    _task: str

    def _grow(self, prepared: Prepared, bins: list[FeatureBins], xb: npt.NDArray[Any],
              rng: np.random.Generator) -> tuple[list[Tree], Array, dict[str, Any]]:
        est: Any = self
        n_features = len(prepared.encoded.specs)
        per_node = features_per_node(self.feature_subset_strategy, n_features, self.n_trees,
                                     self._task)
        config = est._grow_config(prepared, bins, est._impurity_code(), per_node)
        data = Data(xb=xb, bins=bins, y=prepared.y_index, yf=prepared.yf,
                    weight=prepared.weight, is_cls=self._task == "classification")
        n_rows = prepared.encoded.n_rows
        trees: list[Tree] = []
        importances = np.zeros(n_features)
        for _ in range(self.n_trees):
            grown = grow_tree(data, self._row_counts(n_rows, rng), config, rng)
            trees.append(grown.tree)
            importances += _normalised(grown)
        return trees, importances, {}

    def _row_counts(self, n_rows: int, rng: np.random.Generator) -> Array:
        if self.n_trees > 1 and self.bootstrap:
            return rng.poisson(self.subsampling_rate, n_rows).astype(np.float64)
        if self.subsampling_rate >= 1.0:
            return np.ones(n_rows)
        return (rng.random(n_rows) < self.subsampling_rate).astype(np.float64)


class _Boosting:
    """Growing gradient-boosted trees (mixed into the classifier and regressor)."""

    max_iter: int
    step_size: float
    loss: str
    subsampling_rate: float
    feature_subset_strategy: str | int | float
    validation_fraction: float | None
    validation_tol: float
    _task: str

    def _impurities(self) -> tuple[str, ...]:
        return ("variance",)

    def _grow(self, prepared: Prepared, bins: list[FeatureBins], xb: npt.NDArray[Any],
              rng: np.random.Generator) -> tuple[list[Tree], Array, dict[str, Any]]:
        est: Any = self
        losses = ("logistic",) if self._task == "classification" else ("squared", "absolute")
        if self.loss not in losses:
            raise ConfigError(f"The 'loss' parameter of {type(self).__name__} must be one of "
                              f"{', '.join(losses)}. Got {self.loss!r} instead.")
        if self._task == "classification":
            if est.n_classes_ != 2:
                raise DataError(f"{type(self).__name__} supports binary labels only, as MLlib's "
                                f"GBTClassifier does; the label has {est.n_classes_} classes. "
                                "Use a random forest for more classes.")
            target = prepared.y_index * 2.0 - 1.0
        else:
            target = prepared.yf
        n_rows = prepared.encoded.n_rows
        n_features = len(prepared.encoded.specs)
        per_node = features_per_node(self.feature_subset_strategy, n_features, 1, "regression")
        config = est._grow_config(prepared, bins, kernels.VARIANCE, per_node)
        negative_gradient, error = LOSSES[self.loss]
        weight = prepared.weight
        held_out = np.zeros(n_rows, dtype=bool)
        if self.validation_fraction is not None:
            held_out = rng.random(n_rows) < self.validation_fraction
            if held_out.all() or not held_out.any():
                raise DataError(f"validation_fraction={self.validation_fraction} leaves no "
                                "training or no validation rows; change it or add rows.")
        train_weight = np.where(held_out, 0.0, weight)
        score = np.zeros(n_rows)
        trees: list[Tree] = []
        tree_weights: list[float] = []
        importances = np.zeros(n_features)
        best_error, best_m = math.inf, 1
        for m in range(self.max_iter):
            residual: npt.NDArray[np.float64] = np.asarray(
                target if m == 0 else negative_gradient(score, target), dtype=np.float64)
            data = Data(xb=xb, bins=bins, y=prepared.y_index, yf=residual,
                        weight=train_weight, is_cls=False)
            grown = grow_tree(data, self._row_counts(n_rows, held_out, rng), config, rng)
            step = 1.0 if m == 0 else float(self.step_size)
            trees.append(grown.tree)
            tree_weights.append(step)
            # MLlib sums gain x count over the trees without normalising each tree first.
            importances += grown.importances
            score += step * grown.tree.value[grown.apply_binned(xb), 0]
            if held_out.any():
                current = _weighted_mean(error(score[held_out], target[held_out]),
                                         weight[held_out])
                if m == 0:
                    best_error = current
                elif best_error - current < self.validation_tol * max(current, 0.01):
                    break
                elif current < best_error:
                    best_error, best_m = current, m + 1
        if held_out.any():
            trees, tree_weights = trees[:best_m], tree_weights[:best_m]
        self.n_iter_ = len(trees)
        return trees, importances, {"ensemble": "sum", "tree_weights": tuple(tree_weights)}

    def _row_counts(self, n_rows: int, held_out: npt.NDArray[np.bool_],
                    rng: np.random.Generator) -> Array:
        # MLlib samples each tree's rows without replacement (Bernoulli) at subsamplingRate.
        keep = ~held_out
        if self.subsampling_rate < 1.0:
            keep = keep & (rng.random(n_rows) < self.subsampling_rate)
        return keep.astype(np.float64)


def _weighted_mean(values: Array, weights: Array) -> float:
    total = float(weights.sum())
    return float((values * weights).sum() / total) if total > 0 else float(values.mean())


class RandomForestClassifier(_Forest, ClassifierBase):
    """MLlib's random forest classifier, in-process.

    Forest parameters with MLlib's defaults: ``n_trees`` (numTrees, 20),
    ``feature_subset_strategy`` (``auto``: sqrt for classification; ``all``, ``sqrt``,
    ``log2``, ``onethird``, an int or a fraction), ``subsampling_rate`` (1.0), ``bootstrap``
    (True); the tree parameters as :class:`DecisionTreeClassifier`'s.
    """

    def __init__(self, *, n_trees: int = 20, feature_subset_strategy: str | int | float = "auto",
                 subsampling_rate: float = 1.0, bootstrap: bool = True, max_depth: int = 5,
                 max_bins: int = 32, impurity: str | None = None,
                 min_instances_per_node: int = 1, min_info_gain: float = 0.0,
                 min_weight_fraction_per_node: float = 0.0,
                 categorical_features: str | Sequence[int | str] | None = "auto",
                 missing: str = "native", seed: int | None = None,
                 n_threads: int | None = None) -> None:
        self.n_trees = n_trees
        self.feature_subset_strategy = feature_subset_strategy
        self.subsampling_rate = subsampling_rate
        self.bootstrap = bootstrap
        self.max_depth = max_depth
        self.max_bins = max_bins
        self.impurity = impurity
        self.min_instances_per_node = min_instances_per_node
        self.min_info_gain = min_info_gain
        self.min_weight_fraction_per_node = min_weight_fraction_per_node
        self.categorical_features = categorical_features
        self.missing = missing
        self.seed = seed
        self.n_threads = n_threads


class RandomForestRegressor(_Forest, RegressorBase):
    """MLlib's random forest regressor, in-process (``auto`` features: one third)."""

    def __init__(self, *, n_trees: int = 20, feature_subset_strategy: str | int | float = "auto",
                 subsampling_rate: float = 1.0, bootstrap: bool = True, max_depth: int = 5,
                 max_bins: int = 32, impurity: str | None = None,
                 min_instances_per_node: int = 1, min_info_gain: float = 0.0,
                 min_weight_fraction_per_node: float = 0.0,
                 categorical_features: str | Sequence[int | str] | None = "auto",
                 missing: str = "native", seed: int | None = None,
                 n_threads: int | None = None) -> None:
        self.n_trees = n_trees
        self.feature_subset_strategy = feature_subset_strategy
        self.subsampling_rate = subsampling_rate
        self.bootstrap = bootstrap
        self.max_depth = max_depth
        self.max_bins = max_bins
        self.impurity = impurity
        self.min_instances_per_node = min_instances_per_node
        self.min_info_gain = min_info_gain
        self.min_weight_fraction_per_node = min_weight_fraction_per_node
        self.categorical_features = categorical_features
        self.missing = missing
        self.seed = seed
        self.n_threads = n_threads


class GBTClassifier(_Boosting, ClassifierBase):
    """MLlib's gradient-boosted tree classifier (binary, logistic loss), in-process.

    Parameters with MLlib's defaults: ``max_iter`` (maxIter, 20), ``step_size`` (stepSize,
    0.1), ``loss`` (lossType, ``logistic``), ``subsampling_rate`` (1.0),
    ``feature_subset_strategy`` (``all``), ``validation_fraction`` (``None``: no early
    stopping; MLlib takes a ``validationIndicatorCol``), ``validation_tol`` (0.01), and the tree
    parameters of :class:`DecisionTreeRegressor`. ``n_iter_`` is the number of trees kept.
    """

    def __init__(self, *, max_iter: int = 20, step_size: float = 0.1, loss: str = "logistic",
                 subsampling_rate: float = 1.0, feature_subset_strategy: str | int | float = "all",
                 validation_fraction: float | None = None, validation_tol: float = 0.01,
                 max_depth: int = 5, max_bins: int = 32, min_instances_per_node: int = 1,
                 min_info_gain: float = 0.0, min_weight_fraction_per_node: float = 0.0,
                 categorical_features: str | Sequence[int | str] | None = "auto",
                 missing: str = "native", seed: int | None = None,
                 n_threads: int | None = None) -> None:
        self.max_iter = max_iter
        self.step_size = step_size
        self.loss = loss
        self.subsampling_rate = subsampling_rate
        self.feature_subset_strategy = feature_subset_strategy
        self.validation_fraction = validation_fraction
        self.validation_tol = validation_tol
        self.max_depth = max_depth
        self.max_bins = max_bins
        self.min_instances_per_node = min_instances_per_node
        self.min_info_gain = min_info_gain
        self.min_weight_fraction_per_node = min_weight_fraction_per_node
        self.categorical_features = categorical_features
        self.missing = missing
        self.seed = seed
        self.n_threads = n_threads

    def decision_function(self, X: Any) -> Array:
        """The boosted score ``F`` of each row (class 1 when it is positive)."""
        return self._fitted_model().raw_score(self._predict_columns(X))


class GBTRegressor(_Boosting, RegressorBase):
    """MLlib's gradient-boosted tree regressor, in-process (``loss``: ``squared`` or
    ``absolute``); parameters as :class:`GBTClassifier`'s."""

    def __init__(self, *, max_iter: int = 20, step_size: float = 0.1, loss: str = "squared",
                 subsampling_rate: float = 1.0, feature_subset_strategy: str | int | float = "all",
                 validation_fraction: float | None = None, validation_tol: float = 0.01,
                 max_depth: int = 5, max_bins: int = 32, min_instances_per_node: int = 1,
                 min_info_gain: float = 0.0, min_weight_fraction_per_node: float = 0.0,
                 categorical_features: str | Sequence[int | str] | None = "auto",
                 missing: str = "native", seed: int | None = None,
                 n_threads: int | None = None) -> None:
        self.max_iter = max_iter
        self.step_size = step_size
        self.loss = loss
        self.subsampling_rate = subsampling_rate
        self.feature_subset_strategy = feature_subset_strategy
        self.validation_fraction = validation_fraction
        self.validation_tol = validation_tol
        self.max_depth = max_depth
        self.max_bins = max_bins
        self.min_instances_per_node = min_instances_per_node
        self.min_info_gain = min_info_gain
        self.min_weight_fraction_per_node = min_weight_fraction_per_node
        self.categorical_features = categorical_features
        self.missing = missing
        self.seed = seed
        self.n_threads = n_threads
