"""The local engine's decision trees, with scikit-learn's estimator contract.

``DecisionTreeClassifier`` and ``DecisionTreeRegressor`` grow MLlib's trees in-process
(histograms over MLlib's thresholds, MLlib's split rules, MLlib's feature importances) and hand
back the portable ``TreeModel`` (``tree_model_``). They derive from scikit-learn's
``BaseEstimator`` and its classifier/regressor mixins, and pass its estimator checks (see
``tests/trees/test_sklearn_checks.py`` for the checks that cannot apply, with the reasons).

Inputs: numpy arrays, pandas DataFrames or Arrow tables, with categorical columns, sample
weights and missing values. ``missing="native"`` lets each split learn where missing values go;
``missing="median"`` fills them with the training median first, as the MLlib pipeline does
(MLlib-parity mode, which also sums every node's statistics from its rows as MLlib does).

Columns are matched by name: a DataFrame whose columns come in another order is predicted
correctly, and one with unknown or missing names is refused.

>>> import numpy as np
>>> from sparkgrove.trees import DecisionTreeClassifier
>>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
>>> DecisionTreeClassifier(max_depth=1).fit(X, np.array([7, 7, 9, 9])).predict([[0.5], [2.5]])
array([7, 9])
"""


from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d

from sparkgrove import errors
from sparkgrove.errors import DataError
from sparkgrove.trees.engine import TreeLearner, _as_array


class NotFittedError(errors.NotFittedError, SklearnNotFittedError):  # type: ignore[misc]
    """An estimator used before ``fit``; also scikit-learn's ``NotFittedError``."""


class TreeEstimatorBase(TreeLearner, BaseEstimator):  # type: ignore[misc]
    """A learner with scikit-learn's base class, tags and input checks."""

    _not_fitted = NotFittedError

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        return tags

    def _params(self) -> dict[str, Any]:
        params: dict[str, Any] = self.get_params(deep=False)
        return params

    def _check_array(self, X: Any) -> npt.NDArray[Any]:
        return _check_X(X, self)

    def _as_1d(self, y: Any) -> npt.NDArray[Any]:
        array: npt.NDArray[Any] = column_or_1d(_as_array(y), warn=True)
        return array

    def _check_targets(self, raw: npt.NDArray[Any]) -> None:
        check_classification_targets(raw)


class ClassifierBase(ClassifierMixin, TreeEstimatorBase):  # type: ignore[misc]
    """Prediction for classifiers: class labels in ``classes_``'s dtype, probabilities."""

    _task = "classification"

    def predict(self, X: Any) -> npt.NDArray[Any]:
        """Predicted class of each row, with the label's dtype."""
        model = self._fitted_model()
        index = model.predict_index(self._predict_columns(X)).astype(np.int64)
        result: npt.NDArray[Any] = self.classes_[index]
        return result

    def predict_proba(self, X: Any) -> npt.NDArray[np.float64]:
        """Class probabilities, columns in ``classes_`` order."""
        return self._fitted_model().predict_proba(self._predict_columns(X))


class RegressorBase(RegressorMixin, TreeEstimatorBase):  # type: ignore[misc]
    """Prediction for regressors."""

    _task = "regression"

    def predict(self, X: Any) -> npt.NDArray[np.float64]:
        """Predicted value of each row."""
        return self._fitted_model().predict(self._predict_columns(X)).astype(np.float64)


class DecisionTreeClassifier(ClassifierBase):
    """MLlib's decision tree classifier, in-process.

    Parameters carry MLlib's meanings and defaults (``maxDepth=5``, ``maxBins=32``, gini):
    ``max_depth``, ``max_bins``, ``impurity`` (``gini`` or ``entropy``; ``None`` is gini),
    ``min_instances_per_node``, ``min_info_gain``, ``min_weight_fraction_per_node``,
    ``categorical_features`` (``"auto"``: string, boolean and category columns; or names or
    indices), ``missing`` (``native`` or ``median``), ``seed`` (``None``: a fixed seed, so fits
    repeat, as MLlib's do) and ``n_threads`` (``None``:
    numba's current count; set only for this fit).

    Attributes: ``classes_``, ``n_classes_``, ``n_features_in_``, ``feature_names_in_`` (for
    inputs with column names), ``feature_importances_``, ``tree_model_``.
    """

    def __init__(self, *, max_depth: int = 5, max_bins: int = 32, impurity: str | None = None,
                 min_instances_per_node: int = 1, min_info_gain: float = 0.0,
                 min_weight_fraction_per_node: float = 0.0,
                 categorical_features: str | Sequence[int | str] | None = "auto",
                 missing: str = "native", seed: int | None = None,
                 n_threads: int | None = None) -> None:
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


class DecisionTreeRegressor(RegressorBase):
    """MLlib's decision tree regressor, in-process (variance impurity); parameters and
    attributes as :class:`DecisionTreeClassifier`'s, without the class ones."""

    def __init__(self, *, max_depth: int = 5, max_bins: int = 32, impurity: str | None = None,
                 min_instances_per_node: int = 1, min_info_gain: float = 0.0,
                 min_weight_fraction_per_node: float = 0.0,
                 categorical_features: str | Sequence[int | str] | None = "auto",
                 missing: str = "native", seed: int | None = None,
                 n_threads: int | None = None) -> None:
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


def _check_X(X: Any, estimator: Any) -> npt.NDArray[Any]:
    """scikit-learn's checks of an array input: 2-D, not sparse, not complex, no infinity."""
    probe = np.asarray(X) if not hasattr(X, "toarray") else None
    numeric = probe is None or probe.dtype.kind in "biufc"
    try:
        array: npt.NDArray[Any] = check_array(
            X, dtype=np.float64 if numeric else None, ensure_all_finite="allow-nan" if numeric
            else False, ensure_min_samples=1, estimator=estimator,
            accept_sparse=False)
    except TypeError as exc:  # sparse input
        raise DataError(f"{exc} Convert it with .toarray() or pass a DataFrame.") from exc
    except ValueError as exc:
        raise DataError(str(exc)) from exc
    return array
