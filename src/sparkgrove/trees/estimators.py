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

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d

from sparkgrove.errors import ConfigError, DataError
from sparkgrove.trees import kernels
from sparkgrove.trees.binning import FeatureBins, bin_matrix, fit_bins
from sparkgrove.trees.builder import Data, GrowConfig, GrownTree, grow_tree
from sparkgrove.trees.inputs import (
    Encoded,
    array_columns,
    fit_encoding,
    frame_columns,
    is_frame,
)
from sparkgrove.trees.model import FeatureSpec, LabelSpec, Tree, TreeModel, category_text

CRITERIA = {"gini": kernels.GINI, "entropy": kernels.ENTROPY, "variance": kernels.VARIANCE}
DEFAULT_SEED = 42
"""The seed when ``seed=None``: fits are repeatable by default, as MLlib's (whose default seed
is a fixed hash of the class name) are."""
MAX_LOCAL_BINS = 65_535
"""Bins per continuous feature: ``uint8`` bin indices up to 255, ``uint16`` above."""


class NotFittedError(DataError, SklearnNotFittedError):  # type: ignore[misc]
    """An estimator used before ``fit``; also scikit-learn's ``NotFittedError``."""

    code = "not_fitted"


def _int_range(low: int, high: int) -> tuple[Callable[[Any], bool], str]:
    return (lambda v: bool(isinstance(v, int | np.integer) and not isinstance(v, bool)
                           and low <= v <= high), f"an int in the range [{low}, {high}]")


def _float_range(text: str, test: Callable[[float], bool]) -> tuple[Callable[[Any], bool], str]:
    return (lambda v: bool(isinstance(v, int | float | np.number) and not isinstance(v, bool)
                           and test(float(v))), text)


PARAM_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "max_depth": _int_range(0, 30),
    "max_bins": _int_range(2, MAX_LOCAL_BINS),
    "min_instances_per_node": _int_range(1, 2**31 - 1),
    "min_info_gain": _float_range("a float >= 0", lambda v: v >= 0),
    "min_weight_fraction_per_node": _float_range("a float in the range [0, 0.5)",
                                                 lambda v: 0 <= v < 0.5),
    "missing": (lambda v: v in ("native", "median"), "'native' or 'median'"),
    "n_trees": _int_range(1, 10_000),
    "max_iter": _int_range(1, 10_000),
    "step_size": _float_range("a float in the range (0, 1]", lambda v: 0 < v <= 1),
    "subsampling_rate": _float_range("a float in the range (0, 1]", lambda v: 0 < v <= 1),
    "validation_fraction": (lambda v: v is None or (isinstance(v, int | float) and
                                                    not isinstance(v, bool) and 0 < v < 1),
                            "None or a float in the range (0, 1)"),
    "validation_tol": _float_range("a float >= 0", lambda v: v >= 0),
    "bootstrap": (lambda v: bool(isinstance(v, bool | np.bool_)), "a bool"),
    "n_threads": (lambda v: v is None or bool(isinstance(v, int | np.integer) and
                                              not isinstance(v, bool) and v >= 1),
                  "None or an int >= 1"),
    "seed": (lambda v: v is None or (isinstance(v, int | np.integer) and
                                     not isinstance(v, bool)), "None or an int"),
}


@contextmanager
def numba_threads(n_threads: int | None) -> Iterator[None]:
    """Run the kernels on ``n_threads`` threads, restoring the previous count afterwards."""
    if n_threads is None:
        yield
        return
    import numba

    previous = numba.get_num_threads()
    numba.set_num_threads(min(int(n_threads), int(numba.config.NUMBA_NUM_THREADS)))  # type: ignore[attr-defined]
    try:
        yield
    finally:
        numba.set_num_threads(previous)


@dataclass
class Prepared:
    """Training inputs after checking and encoding: binned features, labels, weights."""

    encoded: Encoded
    y_index: npt.NDArray[np.int64]
    yf: npt.NDArray[np.float64]
    weight: npt.NDArray[np.float64]


class TreeEstimatorBase(BaseEstimator):  # type: ignore[misc]
    """What every local-engine estimator shares: parameter rules, input checks, binning,
    prediction through the ``TreeModel``. Subclasses say how trees are grown (``_grow``)."""

    _task = "classification"

    # ---- scikit-learn's tags and parameter rules ------------------------------------------
    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        return tags

    def _check_params(self) -> None:
        for name, value in self.get_params(deep=False).items():
            rule = PARAM_RULES.get(name)
            if rule is not None and not rule[0](value):
                raise ConfigError(f"The {name!r} parameter of {type(self).__name__} must be "
                                  f"{rule[1]}. Got {value!r} instead.")
        allowed = self._impurities()
        impurity = getattr(self, "impurity", None)
        if impurity is not None and impurity not in allowed:
            raise ConfigError(f"The 'impurity' parameter of {type(self).__name__} must be one of "
                              f"{', '.join(allowed)}. Got {impurity!r} instead.")

    def _impurities(self) -> tuple[str, ...]:
        return ("variance",) if self._task == "regression" else ("gini", "entropy")

    # ---- checking inputs --------------------------------------------------------------------
    def _fit_columns(self, X: Any) -> Encoded:
        if is_frame(X):
            names, columns = frame_columns(X)
            self.feature_names_in_ = np.array(names, dtype=object)
        else:
            array = _check_X(X, self)
            names, columns = array_columns(array)
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        encoded = fit_encoding(names, columns, getattr(self, "categorical_features", "auto"))
        if encoded.n_rows == 0:
            raise DataError(f"Found array with 0 sample(s) (shape=(0, {len(names)})) while a "
                            f"minimum of 1 is required by {type(self).__name__}; give at least "
                            "one row to fit.")
        self.n_features_in_ = len(names)
        return encoded

    def _prepare(self, X: Any, y: Any, sample_weight: Any) -> Prepared:
        self._check_params()
        if y is None:
            raise DataError(f"{type(self).__name__} requires y to be passed, but the target y "
                            "is None; give one label per row.")
        encoded = self._fit_columns(X)
        n_rows = encoded.n_rows
        y_index, yf = self._labels(y, n_rows)
        weight = _check_sample_weight(sample_weight, n_rows)
        if self.missing == "median":
            specs = list(encoded.specs)
            for j, spec in enumerate(specs):
                if spec.kind == "numeric":
                    fill = _mllib_median(encoded.columns[j], spec.name)
                    encoded.columns[j] = np.where(np.isnan(encoded.columns[j]), fill,
                                                  encoded.columns[j])
                    specs[j] = FeatureSpec(spec.name, "numeric", fill_value=fill)
            encoded.specs = tuple(specs)
        return Prepared(encoded, y_index, yf, weight)

    def _labels(self, y: Any, n_rows: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        raw = column_or_1d(_as_array(y), warn=True)
        if raw.shape[0] != n_rows:
            raise DataError(f"Found input variables with inconsistent numbers of samples: "
                            f"[{n_rows}, {raw.shape[0]}]; give one label per row of X.")
        if self._task == "regression":
            try:
                yf = raw.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise DataError(f"A regressor needs a numeric label ({exc}); use a classifier "
                                "for a categorical label.") from exc
            bad = ~np.isfinite(yf)
            if bad.any():
                raise DataError(f"The label has {int(bad.sum())} NaN or infinite value(s) (first "
                                f"at row {int(np.flatnonzero(bad)[0])}); drop or fix those rows.")
            self.label_spec_ = LabelSpec("label", "regression")
            return np.zeros(n_rows, dtype=np.int64), yf
        missing = _missing_labels(raw)
        if missing.any():
            raise DataError(f"The label has {int(missing.sum())} missing, NaN or infinite "
                            f"value(s) (first at row {int(np.flatnonzero(missing)[0])}); drop "
                            "those rows.")
        try:
            check_classification_targets(raw)
        except ValueError as exc:
            raise DataError(f"{exc} The label's values are continuous; use a regressor "
                            "(or --task regression) for them.") from exc
        classes, y_index = _classes(raw)
        if classes.size < 2:
            raise DataError("The label has a single value (one class); a classifier needs at "
                            "least two classes.")
        self.classes_ = classes
        self.n_classes_ = int(classes.size)
        self.label_spec_ = LabelSpec("label", "classification",
                                     tuple(category_text(c) for c in classes.tolist()))
        return y_index.astype(np.int64), np.zeros(n_rows)

    # ---- fitting ---------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> TreeEstimatorBase:
        """Grow the model on ``X`` and ``y`` (with optional per-row weights); returns ``self``."""
        prepared = self._prepare(X, y, sample_weight)
        encoded = prepared.encoded
        rng = np.random.default_rng(DEFAULT_SEED if self.seed is None else self.seed)
        categorical = {j: s.arity for j, s in enumerate(encoded.specs) if s.kind == "categorical"}
        with numba_threads(self.n_threads):
            bins = fit_bins(encoded.columns, prepared.weight, categorical, self.max_bins, rng)
            xb = bin_matrix(encoded.columns, bins)
            trees, importances, extra = self._grow(prepared, bins, xb, rng)
        specs = encoded.specs
        total = importances.sum()
        self.feature_importances_ = importances / total if total > 0 else importances
        self.tree_model_ = TreeModel(
            features=specs, label=self.label_spec_, trees=trees,
            feature_importances=tuple(float(v) for v in self.feature_importances_),
            metadata={"engine": "local", "estimator": type(self).__name__,
                      "params": {k: v for k, v in self.get_params(deep=False).items()
                                 if k != "categorical_features"}},
            **extra)
        return self

    def _grow(self, prepared: Prepared, bins: list[FeatureBins], xb: npt.NDArray[Any],
              rng: np.random.Generator) -> tuple[list[Tree], npt.NDArray[np.float64],
                                                 dict[str, Any]]:
        """Grow the trees; returns them, the summed importances and extra ``TreeModel`` fields."""
        config = self._grow_config(prepared, bins, self._impurity_code(),
                                   len(prepared.encoded.specs))
        data = Data(xb=xb, bins=bins, y=prepared.y_index, yf=prepared.yf,
                    weight=prepared.weight, is_cls=self._task == "classification")
        grown = grow_tree(data, np.ones(prepared.encoded.n_rows), config, rng)
        return [grown.tree], _normalised(grown), {}

    def _impurity_code(self) -> int:
        impurity = getattr(self, "impurity", None) or self._impurities()[0]
        return CRITERIA[impurity]

    def _grow_config(self, prepared: Prepared, bins: list[FeatureBins], impurity: int,
                     features_per_node: int) -> GrowConfig:
        n_rows = prepared.encoded.n_rows
        max_possible = min(self.max_bins, n_rows)
        is_cls = self._task == "classification" and impurity != kernels.VARIANCE
        return GrowConfig(
            max_depth=self.max_depth, impurity=impurity,
            n_classes=len(self.classes_) if is_cls else 0,
            min_instances_per_node=self.min_instances_per_node,
            min_weight=self.min_weight_fraction_per_node * float(prepared.weight.sum()),
            min_info_gain=float(self.min_info_gain), features_per_node=features_per_node,
            max_unordered_arity=math.floor(math.log2(max_possible // 2 + 1)) + 1,
            subtract=self.missing != "median")

    # ---- prediction ------------------------------------------------------------------------
    def _fitted_model(self) -> TreeModel:
        model: TreeModel | None = getattr(self, "tree_model_", None)
        if model is None:
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet. Call "
                                 "'fit' with appropriate arguments before using this estimator.")
        return model

    def _predict_columns(self, X: Any) -> dict[str, Any]:
        """The model's columns from ``X``: by name for frames, by position for arrays."""
        model = self._fitted_model()
        fitted_names = model.feature_names
        named = hasattr(self, "feature_names_in_")
        if is_frame(X):
            names, columns = frame_columns(X)
            if named:
                _check_names(names, fitted_names)
                return {name: columns[name] for name in fitted_names}
            warnings.warn(f"X has feature names, but {type(self).__name__} was fitted without "
                          "feature names", UserWarning, stacklevel=3)
            values = list(columns.values())
        else:
            array = _check_X(X, self)
            if named:
                warnings.warn(f"X does not have valid feature names, but {type(self).__name__} "
                              "was fitted with feature names", UserWarning, stacklevel=3)
            values = [array[:, j] for j in range(array.shape[1])]
        if len(values) != len(fitted_names):
            raise DataError(f"X has {len(values)} features, but {type(self).__name__} is "
                            f"expecting {len(fitted_names)} features as input "
                            f"({', '.join(fitted_names)}).")
        return dict(zip(fitted_names, values, strict=True))

    def to_tree_model(self) -> TreeModel:
        """The fitted model in sparkgrove's portable format."""
        return self._fitted_model()


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


# ---- helpers ----------------------------------------------------------------------------
def _as_array(values: Any) -> Any:
    if hasattr(values, "to_numpy"):
        return values.to_numpy()
    if hasattr(values, "to_pylist"):  # an Arrow array
        return np.asarray(values.to_pylist(), dtype=object)
    return values


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


def _check_names(names: list[str], fitted: list[str]) -> None:
    """scikit-learn's message for a frame whose column names differ from fit's."""
    unseen = [n for n in names if n not in fitted]
    missing = [n for n in fitted if n not in names]
    if not unseen and not missing:
        return
    message = "The feature names should match those that were passed during fit.\n"
    if unseen:
        message += "Feature names unseen at fit time:\n" + "".join(f"- {n}\n" for n in unseen)
    if missing:
        message += ("Feature names seen at fit time, yet now missing:\n" +
                    "".join(f"- {n}\n" for n in sorted(missing)))
    raise DataError(message + "Give the columns the model was fitted with (any order).")


def _check_sample_weight(sample_weight: Any, n_rows: int) -> npt.NDArray[np.float64]:
    if sample_weight is None:
        return np.ones(n_rows)
    weight = np.asarray(_as_array(sample_weight), dtype=np.float64)
    if weight.ndim == 0:
        weight = np.full(n_rows, float(weight))
    if weight.ndim != 1 or weight.shape[0] != n_rows:
        raise DataError(f"sample_weight.shape == {weight.shape}, expected ({n_rows},): give one "
                        "weight per row.")
    if not np.isfinite(weight).all() or (weight < 0).any():
        raise DataError("Negative values in data passed to sample_weight (or NaN/inf): each "
                        "weight must be finite and >= 0.")
    if not (weight > 0).any():
        raise DataError("Sample weights must contain at least one non-zero number; give some "
                        "rows a positive weight.")
    return weight


def _missing_labels(raw: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    if raw.dtype.kind in "fc":
        missing: npt.NDArray[np.bool_] = ~np.isfinite(raw)
        return missing
    if raw.dtype.kind == "O":
        return np.array([v is None or (isinstance(v, float | np.floating) and
                                       not math.isfinite(v)) for v in raw], dtype=bool)
    return np.zeros(raw.shape[0], dtype=bool)


def _classes(raw: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64]]:
    """Sorted classes in the label's own dtype, and each row's class index."""
    try:
        classes, inverse = np.unique(raw, return_inverse=True)
    except TypeError:  # mixed types: order by their text, as Spark's string cast would
        texts = np.array([str(v) for v in raw], dtype=object)
        _, first, inverse = np.unique(texts, return_index=True, return_inverse=True)
        classes = raw[first]
    return classes, np.asarray(inverse, dtype=np.int64).ravel()


def _normalised(grown: GrownTree) -> npt.NDArray[np.float64]:
    total = grown.importances.sum()
    return grown.importances / total if total > 0 else grown.importances


def _mllib_median(column: npt.NDArray[np.float64], name: str) -> float:
    """The median as MLlib's Imputer takes it: the element of rank ceil(n/2) of the values."""
    present = np.sort(column[~np.isnan(column)])
    if present.size == 0:
        raise DataError(f"Column {name!r} has no values to take a median from; drop it.")
    return float(present[math.ceil(0.5 * present.size) - 1])
