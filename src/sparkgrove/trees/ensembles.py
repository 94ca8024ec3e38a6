"""Random forests and gradient-boosted trees of the local engine, with scikit-learn's contract.

How they grow is in :mod:`sparkgrove.trees.engine` (``ForestGrowth``, ``BoostingGrowth``):
MLlib's bootstrap and feature subsets, and MLlib's ``GradientBoostedTrees.boost``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sparkgrove.trees.engine import Array, BoostingGrowth, ForestGrowth
from sparkgrove.trees.estimators import ClassifierBase, RegressorBase


class RandomForestClassifier(ForestGrowth, ClassifierBase):
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


class RandomForestRegressor(ForestGrowth, RegressorBase):
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


class GBTClassifier(BoostingGrowth, ClassifierBase):
    """MLlib's gradient-boosted tree classifier (binary, logistic loss), in-process.

    Parameters with MLlib's defaults: ``max_iter`` (maxIter, 20), ``step_size`` (stepSize,
    0.1), ``loss`` (lossType, ``logistic``), ``subsampling_rate`` (1.0),
    ``feature_subset_strategy`` (``all``), ``validation_fraction`` (``None``: no early
    stopping; MLlib takes a ``validationIndicatorCol``), ``validation_tol`` (0.01),
    ``leaf_values`` (``gradient``: MLlib's mean negative gradient; ``newton``: gradient sum over
    hessian sum, as LightGBM and XGBoost set leaves, usually more accurate per tree; with
    ``min_instances_per_node=1`` and no categorical feature a split's side then needs a hessian
    sum of 1e-3 times the mean row weight, LightGBM's ``min_sum_hessian_in_leaf``), and the
    tree parameters of :class:`DecisionTreeRegressor`. ``n_iter_`` is the number of trees kept.
    """

    def __init__(self, *, max_iter: int = 20, step_size: float = 0.1, loss: str = "logistic",
                 subsampling_rate: float = 1.0, feature_subset_strategy: str | int | float = "all",
                 validation_fraction: float | None = None, validation_tol: float = 0.01,
                 leaf_values: str = "gradient", max_depth: int = 5, max_bins: int = 32,
                 min_instances_per_node: int = 1,
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
        self.leaf_values = leaf_values
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


class GBTRegressor(BoostingGrowth, RegressorBase):
    """MLlib's gradient-boosted tree regressor, in-process (``loss``: ``squared`` or
    ``absolute``); parameters as :class:`GBTClassifier`'s."""

    def __init__(self, *, max_iter: int = 20, step_size: float = 0.1, loss: str = "squared",
                 subsampling_rate: float = 1.0, feature_subset_strategy: str | int | float = "all",
                 validation_fraction: float | None = None, validation_tol: float = 0.01,
                 leaf_values: str = "gradient", max_depth: int = 5, max_bins: int = 32,
                 min_instances_per_node: int = 1,
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
        self.leaf_values = leaf_values
        self.max_depth = max_depth
        self.max_bins = max_bins
        self.min_instances_per_node = min_instances_per_node
        self.min_info_gain = min_info_gain
        self.min_weight_fraction_per_node = min_weight_fraction_per_node
        self.categorical_features = categorical_features
        self.missing = missing
        self.seed = seed
        self.n_threads = n_threads
