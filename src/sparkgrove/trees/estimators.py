"""The local engine's estimators, with scikit-learn's contract.

``DecisionTreeClassifier``, ``DecisionTreeRegressor``, ``RandomForestClassifier`` and
``RandomForestRegressor`` grow MLlib's trees in-process (histograms over MLlib's thresholds,
MLlib's split rules, MLlib's feature importances) and hand back the portable ``TreeModel``
(``tree_model_``). Inputs: numpy arrays, pandas DataFrames or Arrow tables, with categorical
columns, sample weights and missing values. ``missing="native"`` lets each split learn where
missing values go; ``missing="median"`` fills them with the training median first, as the MLlib
pipeline does (MLlib-parity mode).

>>> import numpy as np
>>> from sparkgrove.trees import DecisionTreeClassifier
>>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
>>> DecisionTreeClassifier(max_depth=1).fit(X, ["a", "a", "b", "b"]).predict([[0.5], [2.5]])
array(['a', 'b'], dtype=object)
"""

from __future__ import annotations

import inspect
import math
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from sparkgrove.errors import ConfigError, DataError
from sparkgrove.trees import kernels
from sparkgrove.trees.binning import bin_matrix, fit_bins
from sparkgrove.trees.builder import Data, GrowConfig, grow_tree
from sparkgrove.trees.inputs import encode, fit_encoding, to_columns
from sparkgrove.trees.model import FeatureSpec, LabelSpec, Tree, TreeModel, category_text

CRITERIA = {"gini": kernels.GINI, "entropy": kernels.ENTROPY, "variance": kernels.VARIANCE}
SUBSET_STRATEGIES: dict[str, Callable[[int], int]] = {
    "all": lambda n: n,
    "sqrt": lambda n: max(1, math.ceil(math.sqrt(n))),
    "log2": lambda n: max(1, math.ceil(math.log2(n))),
    "onethird": lambda n: max(1, math.ceil(n / 3.0)),
}
MAX_LOCAL_BINS = 255


def _int_range(low: int, high: int) -> tuple[Callable[[Any], bool], str]:
    return (lambda v: bool(isinstance(v, int | np.integer) and not isinstance(v, bool)
                           and low <= v <= high), f"an int in the range [{low}, {high}]")


_PARAM_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "max_depth": _int_range(0, 30),
    "max_bins": _int_range(2, MAX_LOCAL_BINS),
    "min_instances_per_node": _int_range(1, 2**31 - 1),
    "min_info_gain": (lambda v: isinstance(v, int | float) and v >= 0, "a float >= 0"),
    "min_weight_fraction_per_node": (lambda v: isinstance(v, int | float) and 0 <= v < 0.5,
                                     "a float in the range [0, 0.5)"),
    "missing": (lambda v: v in ("native", "median"), "'native' or 'median'"),
    "n_trees": _int_range(1, 10_000),
    "subsampling_rate": (lambda v: isinstance(v, int | float) and 0 < v <= 1,
                         "a float in the range (0, 1]"),
    "bootstrap": (lambda v: isinstance(v, bool), "a bool"),
    "n_threads": (lambda v: v is None or (isinstance(v, int) and v >= 1), "None or an int >= 1"),
    "seed": (lambda v: v is None or isinstance(v, int | np.integer), "None or an int"),
}


class _TreeEstimator:
    """Shared machinery: parameters, input checks, fitting and prediction."""

    _task = "classification"
    _forest = False

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

    # ---- scikit-learn's parameter protocol -----------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        names: list[str] = []
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None:
                continue
            for p in inspect.signature(init).parameters.values():
                if p.kind == p.KEYWORD_ONLY and p.name not in names:
                    names.append(p.name)
        return sorted(names)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The estimator's parameters."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> _TreeEstimator:
        """Set parameters; unknown names are an error."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ConfigError(f"Invalid parameter {name!r} for {type(self).__name__}; "
                                  f"valid parameters: {', '.join(valid)}.")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for klass in type(self).__mro__
                    for p in inspect.signature(klass.__dict__.get("__init__", lambda: None)
                                               ).parameters.values()
                    if p.kind == p.KEYWORD_ONLY}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if defaults.get(k) != v]
        return f"{type(self).__name__}({', '.join(changed)})"

    def _check_params(self) -> None:
        for name, value in self.get_params().items():
            rule = _PARAM_RULES.get(name)
            if rule is not None and not rule[0](value):
                raise ConfigError(f"The {name!r} parameter of {type(self).__name__} must be "
                                  f"{rule[1]}. Got {value!r} instead.")
        allowed = ("variance",) if self._task == "regression" else ("gini", "entropy")
        if self.impurity is not None and self.impurity not in allowed:
            raise ConfigError(f"The 'impurity' parameter of {type(self).__name__} must be one of "
                              f"{', '.join(allowed)}. Got {self.impurity!r} instead.")

    # ---- fitting -------------------------------------------------------------------------
    def _labels(self, y: Any, n_rows: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        raw = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y).ravel()
        if raw.dtype.kind in "fiub" and self._task == "classification" and raw.size:
            return self._numeric_labels(raw, n_rows)
        values = raw.astype(object)
        if values.shape[0] != n_rows:
            raise DataError(f"y has {values.shape[0]} values but X has {n_rows} rows; give one "
                            "label per row.")
        if self._task == "regression":
            try:
                yf = values.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise DataError(f"A regressor needs a numeric label ({exc}); use a classifier "
                                "for a categorical label.") from exc
            bad = ~np.isfinite(yf)
            if bad.any():
                raise DataError(f"The label has {int(bad.sum())} NaN or infinite value(s) (first "
                                f"at row {int(np.flatnonzero(bad)[0])}); drop or fix those rows.")
            self.label_spec_ = LabelSpec("label", "regression")
            return np.zeros(n_rows, dtype=np.int64), yf
        missing = np.array([v is None or (isinstance(v, float) and not math.isfinite(v))
                            for v in values])
        if missing.any():
            raise DataError(f"The label has {int(missing.sum())} missing, NaN or infinite "
                            f"value(s) (first at row {int(np.flatnonzero(missing)[0])}); drop "
                            "those rows.")
        classes, y_index = _sorted_classes(values)
        if classes.size < 2:
            raise DataError("The label has a single value; a classifier needs at least two "
                            "classes.")
        self.classes_ = classes
        self.label_spec_ = LabelSpec("label", "classification",
                                     tuple(category_text(c) for c in classes))
        return y_index, np.zeros(n_rows)

    def _numeric_labels(self, raw: npt.NDArray[Any], n_rows: int
                        ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        if raw.shape[0] != n_rows:
            raise DataError(f"y has {raw.shape[0]} values but X has {n_rows} rows; give one "
                            "label per row.")
        numbers = raw.astype(np.float64)
        bad = ~np.isfinite(numbers)
        if bad.any():
            raise DataError(f"The label has {int(bad.sum())} missing, NaN or infinite value(s) "
                            f"(first at row {int(np.flatnonzero(bad)[0])}); drop those rows.")
        uniq, inverse = np.unique(raw, return_inverse=True)
        if uniq.size < 2:
            raise DataError("The label has a single value; a classifier needs at least two "
                            "classes.")
        self.classes_ = uniq.astype(object)
        self.label_spec_ = LabelSpec("label", "classification",
                                     tuple(category_text(c) for c in uniq.tolist()))
        return inverse.astype(np.int64), np.zeros(n_rows)

    def _n_trees(self) -> int:
        return 1

    def _features_per_node(self, n_features: int) -> int:
        return n_features

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> _TreeEstimator:
        """Grow the tree (or forest) on ``X`` and ``y``; returns ``self``."""
        self._check_params()
        encoded = fit_encoding(X, self.categorical_features)
        columns = encoded.columns
        n_rows, n_features = encoded.n_rows, len(columns)
        if n_rows == 0:
            raise DataError("X has no rows; give at least one row to fit.")
        y_index, yf = self._labels(y, n_rows)
        weight = (np.ones(n_rows) if sample_weight is None
                  else np.asarray(sample_weight, dtype=np.float64).ravel())
        if weight.shape[0] != n_rows or not np.isfinite(weight).all() or (weight < 0).any():
            raise DataError("sample_weight must hold one finite, non-negative weight per row.")
        specs = list(encoded.specs)
        if self.missing == "median":
            for j, spec in enumerate(specs):
                if spec.kind == "numeric":
                    fill = _mllib_median(columns[j])
                    columns[j] = np.where(np.isnan(columns[j]), fill, columns[j])
                    specs[j] = FeatureSpec(spec.name, "numeric", fill_value=fill)
        max_possible = min(self.max_bins, n_rows)
        categorical = {}
        for j, spec in enumerate(specs):
            if spec.kind == "categorical":
                if spec.arity > max_possible:
                    raise DataError(
                        f"Column {spec.name!r} has {len(spec.categories)} categories (plus one "
                        f"bucket for unseen values), more than max_bins={max_possible}: raise "
                        f"max_bins to at least {spec.arity} (at most {MAX_LOCAL_BINS}), or "
                        "drop the column.")
                categorical[j] = spec.arity
        if self.n_threads is not None:
            import numba

            numba.set_num_threads(min(self.n_threads, int(getattr(numba.config,
                                                                  "NUMBA_NUM_THREADS", 1))))
        rng = np.random.default_rng(self.seed)
        bins = fit_bins(columns, weight, categorical, self.max_bins, rng)
        xb = bin_matrix(columns, bins)
        del columns, encoded
        n_classes = len(self.classes_) if self._task == "classification" else 0
        impurity = self.impurity or ("gini" if self._task == "classification" else "variance")
        config = GrowConfig(
            max_depth=self.max_depth, impurity=CRITERIA[impurity], n_classes=n_classes,
            min_instances_per_node=self.min_instances_per_node,
            min_weight=self.min_weight_fraction_per_node * float(weight.sum()),
            min_info_gain=float(self.min_info_gain),
            features_per_node=self._features_per_node(n_features),
            max_unordered_arity=math.floor(math.log2(max_possible // 2 + 1)) + 1)
        data = Data(xb=xb, bins=bins, y=y_index, yf=yf, weight=weight,
                    is_cls=self._task == "classification")
        trees: list[Tree] = []
        importances = np.zeros(n_features)
        for _ in range(self._n_trees()):
            counts = self._row_counts(n_rows, rng)
            tree, raw = grow_tree(data, counts, config, rng)
            trees.append(tree)
            total = raw.sum()
            if total > 0:
                importances += raw / total
        total = importances.sum()
        self.feature_importances_ = importances / total if total > 0 else importances
        self.n_features_in_ = n_features
        self.feature_names_in_ = np.array([s.name for s in specs], dtype=object)
        self.tree_model_ = TreeModel(
            features=tuple(specs), label=self.label_spec_, trees=trees,
            feature_importances=tuple(float(v) for v in self.feature_importances_),
            metadata={"engine": "local", "estimator": type(self).__name__,
                      "params": {k: v for k, v in self.get_params().items()
                                 if k != "categorical_features"}})
        return self

    def _row_counts(self, n_rows: int, rng: np.random.Generator) -> npt.NDArray[np.float64]:
        return np.ones(n_rows)

    # ---- prediction ----------------------------------------------------------------------
    def _check_fitted(self) -> TreeModel:
        model: TreeModel | None = getattr(self, "tree_model_", None)
        if model is None:
            raise DataError(f"This {type(self).__name__} is not fitted yet; call fit first.")
        return model

    def _columns(self, X: Any) -> dict[str, Any]:
        model = self._check_fitted()
        names, columns = to_columns(X)
        if names != model.feature_names and len(names) == len(model.feature_names) and \
                all(n.startswith("x") for n in names):
            columns = {m: columns[n] for m, n in zip(model.feature_names, names, strict=True)}
        elif len(names) != len(model.feature_names):
            raise DataError(f"X has {len(names)} columns but {type(self).__name__} was fitted "
                            f"with {len(model.feature_names)} "
                            f"({', '.join(model.feature_names)}); give the same columns.")
        return columns

    def predict(self, X: Any) -> npt.NDArray[Any]:
        """Predicted classes (classifiers) or values (regressors)."""
        model = self._check_fitted()
        columns = self._columns(X)
        if self._task == "classification":
            index = model.predict_index(columns).astype(np.int64)
            result: npt.NDArray[Any] = self.classes_[index]
            return result
        return model.predict(columns)

    def to_tree_model(self) -> TreeModel:
        """The fitted model in sparkgrove's portable format."""
        return self._check_fitted()

    def transform_inputs(self, X: Any) -> npt.NDArray[np.float64]:
        """The float matrix the model sees for ``X`` (categorical columns as codes)."""
        model = self._check_fitted()
        return encode(self._columns(X), model.feature_names, model.features)


class _ClassifierMixin:
    _task = "classification"

    def predict_proba(self, X: Any) -> npt.NDArray[np.float64]:
        """Class probabilities, columns in ``classes_`` order."""
        est: Any = self
        return est._check_fitted().predict_proba(est._columns(X))  # type: ignore[no-any-return]


class DecisionTreeClassifier(_ClassifierMixin, _TreeEstimator):
    """MLlib's decision tree classifier, in-process."""

    _task = "classification"


class DecisionTreeRegressor(_TreeEstimator):
    """MLlib's decision tree regressor, in-process."""

    _task = "regression"


class _ForestMixin(_TreeEstimator):
    def __init__(self, *, n_trees: int = 20, feature_subset_strategy: str | int | float = "auto",
                 subsampling_rate: float = 1.0, bootstrap: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n_trees = n_trees
        self.feature_subset_strategy = feature_subset_strategy
        self.subsampling_rate = subsampling_rate
        self.bootstrap = bootstrap

    def _n_trees(self) -> int:
        return int(self.n_trees)

    def _features_per_node(self, n_features: int) -> int:
        strategy = self.feature_subset_strategy
        if strategy == "auto":
            strategy = "all" if self.n_trees == 1 else (
                "sqrt" if self._task == "classification" else "onethird")
        if isinstance(strategy, str) and strategy in SUBSET_STRATEGIES:
            return SUBSET_STRATEGIES[strategy](n_features)
        if isinstance(strategy, str):
            try:
                strategy = float(strategy) if "." in strategy else int(strategy)
            except ValueError:
                strategy = -1
        if isinstance(strategy, int) and not isinstance(strategy, bool) and strategy >= 1:
            return min(strategy, n_features)
        if isinstance(strategy, float) and 0 < strategy <= 1:
            return max(1, math.ceil(strategy * n_features))
        raise ConfigError(
            "The 'feature_subset_strategy' parameter must be 'auto', 'all', 'sqrt', 'log2', "
            f"'onethird', an int >= 1 or a fraction in (0, 1]. Got {strategy!r} instead.")

    def _row_counts(self, n_rows: int, rng: np.random.Generator) -> npt.NDArray[np.float64]:
        if self.n_trees > 1 and self.bootstrap:
            return rng.poisson(self.subsampling_rate, n_rows).astype(np.float64)
        if self.subsampling_rate >= 1.0:
            return np.ones(n_rows)
        return (rng.random(n_rows) < self.subsampling_rate).astype(np.float64)


class RandomForestClassifier(_ClassifierMixin, _ForestMixin):
    """MLlib's random forest classifier, in-process."""

    _task = "classification"


class RandomForestRegressor(_ForestMixin):
    """MLlib's random forest regressor, in-process."""

    _task = "regression"


def _sorted_classes(values: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64]]:
    try:
        numeric = values.astype(np.float64)
    except (TypeError, ValueError):
        numeric = None
    if numeric is not None:
        uniq, inverse = np.unique(numeric, return_inverse=True)
        originals = np.empty(uniq.size, dtype=object)
        originals[inverse] = values
        return originals, inverse.astype(np.int64)
    texts = np.array([str(v) for v in values], dtype=object)
    uniq, inverse = np.unique(texts, return_inverse=True)
    return uniq.astype(object), inverse.astype(np.int64)


def _mllib_median(column: npt.NDArray[np.float64]) -> float:
    """The median as MLlib's Imputer takes it: the element of rank ceil(n/2) of the values."""
    present = np.sort(column[~np.isnan(column)])
    if present.size == 0:
        raise DataError("A numeric column has no values to take a median from; drop it.")
    return float(present[math.ceil(0.5 * present.size) - 1])


def default_threads() -> int:
    """Threads the engine uses by default: every core."""
    return os.cpu_count() or 1
