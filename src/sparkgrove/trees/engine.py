"""The local engine's learners: checking inputs, binning, growing trees, forests and boosted
trees, and predicting through the ``TreeModel``, with no scikit-learn import.

scikit-learn's estimators (``trees/estimators.py``, ``trees/ensembles.py``) are a thin layer on
these learners, as LightGBM's ``sklearn.py`` is on its engine: they add scikit-learn's base
classes, tags and input checks through the hooks ``_check_array``, ``_as_1d`` and
``_check_targets``. ``sparkgrove train`` uses the learners directly (:func:`make_learner`), so
it starts without importing scikit-learn (and SciPy).

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
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from sparkgrove.errors import ConfigError, DataError, NotFittedError
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
from sparkgrove.trees.params import MAX_BINS, SPECS

CRITERIA = {"gini": kernels.GINI, "entropy": kernels.ENTROPY, "variance": kernels.VARIANCE}
DEFAULT_SEED = 42
"""The seed when ``seed=None``: fits are repeatable by default, as MLlib's (whose default seed
is a fixed hash of the class name) are."""
MIN_CATEGORY_ROWS = 100.0
"""Outside parity mode, the rows a category needs in a regression node (every boosted tree is
one) to be placed by its own mean in an ordered categorical split (LightGBM's
``min_data_per_group``)."""
MAX_LOCAL_BINS = MAX_BINS
"""Bins per continuous feature: ``uint8`` bin indices up to 255, ``uint16`` above."""


def _number_in(text: str, test: Callable[[float], bool]) -> tuple[Callable[[Any], bool], str]:
    return (lambda v: bool(isinstance(v, int | float | np.number) and not isinstance(v, bool)
                           and test(float(v))), text)


PARAM_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    # the parameters shared with MLlib, from their one declaration
    **{spec.local: (spec.accepts, spec.rule_text + (" (or None)" if spec.nullable else ""))
       for spec in SPECS if spec.local is not None},
    # the local engine's own
    "missing": (lambda v: v in ("native", "median"), "'native' or 'median'"),
    "validation_fraction": (lambda v: v is None or (isinstance(v, int | float) and
                                                    not isinstance(v, bool) and 0 < v < 1),
                            "None or a float in the range (0, 1)"),
    "validation_tol": _number_in("a float >= 0", lambda v: v >= 0),
    "bootstrap": (lambda v: bool(isinstance(v, bool | np.bool_)), "a bool"),
    "n_threads": (lambda v: v is None or bool(isinstance(v, int | np.integer) and
                                              not isinstance(v, bool) and v >= 1),
                  "None or an int >= 1"),
}
"""The rule of each learner parameter: those MLlib shares come from
:data:`sparkgrove.trees.params.SPECS`."""


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



class TreeLearner:
    """What every local-engine learner shares: parameter rules, input checks, binning,
    prediction through the ``TreeModel``. Subclasses say how trees are grown (``_grow``).

    Parameters are attributes (``max_depth``, ``max_bins``, ...), set by the subclass.
    """

    _task = "classification"
    _not_fitted: type[Exception] = NotFittedError
    max_depth: int
    max_bins: int
    min_instances_per_node: int
    min_info_gain: float
    min_weight_fraction_per_node: float
    missing: str
    seed: int | None
    n_threads: int | None

    def _params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in PARAM_NAMES if hasattr(self, name)}

    # ---- hooks for scikit-learn's checks (plain versions here) --------------------------------
    def _check_array(self, X: Any) -> npt.NDArray[Any]:
        array = np.asarray(X)
        if array.ndim != 2:
            raise DataError(f"X must be 2-dimensional (rows x features); got shape "
                            f"{array.shape}.")
        return array

    def _as_1d(self, y: Any) -> npt.NDArray[Any]:
        array = np.asarray(_as_array(y))
        if array.ndim == 2 and array.shape[1] == 1:
            array = array.ravel()
        if array.ndim != 1:
            raise DataError(f"y must be one label per row; got shape {array.shape}.")
        return array

    def _check_targets(self, raw: npt.NDArray[Any]) -> None:
        if raw.dtype.kind == "f" and raw.size and not np.all(np.mod(raw, 1) == 0):
            raise ValueError("Unknown label type: continuous. Maybe you are trying to fit a "
                             "classifier, which expects discrete classes on a regression target "
                             "with continuous values.")

    def _check_params(self) -> None:
        for name, value in self._params().items():
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
            array = self._check_array(X)
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
        raw = self._as_1d(y)
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
            self._check_targets(raw)
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
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> TreeLearner:
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
                      "params": {k: v for k, v in self._params().items()
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
                    weight=prepared.weight, is_cls=self._task == "classification",
                    xbr=self._row_major(xb))
        grown = grow_tree(data, np.ones(prepared.encoded.n_rows), config, rng)
        return [grown.tree], _normalised(grown), {}

    def _row_major(self, xb: npt.NDArray[Any]) -> npt.NDArray[Any] | None:
        """A row-major copy of the bins for row-wise histograms; none in parity mode, which
        adds rows in MLlib's order."""
        return None if self.missing == "median" else np.ascontiguousarray(xb.T)

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
            subtract=self.missing != "median",
            min_category_rows=0.0 if self.missing == "median" else MIN_CATEGORY_ROWS)

    # ---- prediction ------------------------------------------------------------------------
    def _fitted_model(self) -> TreeModel:
        model: TreeModel | None = getattr(self, "tree_model_", None)
        if model is None:
            raise self._not_fitted(f"This {type(self).__name__} instance is not fitted yet. Call "
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
            array = self._check_array(X)
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



# ---- helpers ----------------------------------------------------------------------------
def _as_array(values: Any) -> Any:
    if hasattr(values, "to_numpy"):
        return values.to_numpy()
    if hasattr(values, "to_pylist"):  # an Arrow array
        return np.asarray(values.to_pylist(), dtype=object)
    return values


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


SUBSET_STRATEGIES: dict[str, Callable[[int], int]] = {
    "all": lambda n: n,
    "sqrt": lambda n: max(1, math.ceil(math.sqrt(n))),
    "log2": lambda n: max(1, math.ceil(math.log2(n))),
    "onethird": lambda n: max(1, math.ceil(n / 3.0)),
}

Array = npt.NDArray[Any]
# MLlib's losses: the error of a score F against a label y (their gradients are in
# kernels.step_stats).
LOSS_ERRORS: dict[str, Callable[[Array, Array], Array]] = {
    "logistic": lambda f, y: 2.0 * np.logaddexp(0.0, -2.0 * y * f),
    "squared": lambda f, y: (y - f) ** 2,
    "absolute": lambda f, y: np.abs(y - f),
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


class ForestGrowth:
    """Growing a random forest (mixed into a learner)."""

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
                    weight=prepared.weight, is_cls=self._task == "classification",
                    xbr=est._row_major(xb))
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


class BoostingGrowth:
    """Growing gradient-boosted trees (mixed into a learner)."""

    max_iter: int
    step_size: float
    loss: str
    subsampling_rate: float
    feature_subset_strategy: str | int | float
    validation_fraction: float | None
    validation_tol: float
    leaf_values: str
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
            target: Array = np.asarray(prepared.y_index * 2.0 - 1.0, dtype=np.float64)
        else:
            target = prepared.yf
        n_rows = prepared.encoded.n_rows
        n_features = len(prepared.encoded.specs)
        per_node = features_per_node(self.feature_subset_strategy, n_features, 1, "regression")
        config = est._grow_config(prepared, bins, kernels.VARIANCE, per_node)
        error = LOSS_ERRORS[self.loss]
        if self.leaf_values not in LEAF_VALUES:
            raise ConfigError(f"The 'leaf_values' parameter of {type(self).__name__} must be one "
                              f"of {', '.join(LEAF_VALUES)}. Got {self.leaf_values!r} instead.")
        newton = self.leaf_values == "newton" and self.loss in NEWTON_LOSSES
        weight = prepared.weight
        held_out = np.zeros(n_rows, dtype=bool)
        if self.validation_fraction is not None:
            held_out = rng.random(n_rows) < self.validation_fraction
            if held_out.all() or not held_out.any():
                raise DataError(f"validation_fraction={self.validation_fraction} leaves no "
                                "training or no validation rows; change it or add rows.")
        train_weight = np.where(held_out, 0.0, weight)
        config = replace(config, side_weight=_side_weight(
            newton, weight[~held_out], est.min_instances_per_node, bins))
        score = np.zeros(n_rows)
        trees: list[Tree] = []
        tree_weights: list[float] = []
        importances = np.zeros(n_features)
        best_error, best_m = math.inf, 1
        xbr = est._row_major(xb)
        # each step's statistics reuse these; w and w r side by side, for histograms
        pairs = np.empty((n_rows, 2))
        buffers = (pairs[:, 0], pairs[:, 1], np.empty(n_rows), np.empty(n_rows))
        first = 0
        if newton:
            # LightGBM's start: a constant score, the loss's optimum, then every tree a step
            base = _base_score(self.loss, target, train_weight)
            trees.append(_constant_tree(base))
            tree_weights.append(1.0)
            score += base
            first, best_m = 1, 1
            if held_out.any():
                best_error = _weighted_mean(error(score[held_out], target[held_out]),
                                            weight[held_out])
        # exp(2yF) for logistic steps, kept up to date by one product per row and tree; MLlib's
        # parity mode takes numpy's exp of every score, as before
        growth = (np.exp(2.0 * target * score)
                  if self.loss == "logistic" and (newton or est.missing != "median")
                  else np.empty(0))
        for m in range(first, self.max_iter + first):
            counts = self._row_counts(n_rows, held_out, rng)
            if m > 0:
                # Newton: a regression tree on -g/h weighted by h splits by Gl²/Hl + Gr²/Hr -
                # G²/H and puts G/H in each leaf (LightGBM's and XGBoost's step); otherwise a
                # tree on -g (MLlib's step)
                data = Data(xb=xb, bins=bins, y=prepared.y_index, yf=target,
                            weight=train_weight, is_cls=False, xbr=xbr,
                            stats=kernels.step_stats(score, target, train_weight, counts,
                                                     LOSS_CODES[self.loss], newton, buffers,
                                                     growth if growth.size else None),
                            pairs=pairs)
            else:  # MLlib's first tree fits the label itself
                data = Data(xb=xb, bins=bins, y=prepared.y_index, yf=target,
                            weight=train_weight, is_cls=False, xbr=xbr)
            grown = grow_tree(data, counts, config, rng)
            step = 1.0 if m == 0 else float(self.step_size)
            if grown.grown_leaf is not None and grown.leaf_of_grown is not None:
                # each row's grown leaf and the values by grown leaf: no per-row mapping
                leaves, values = grown.grown_leaf, grown.tree.value[grown.leaf_of_grown, 0]
            else:
                leaves, values = grown.apply_binned(xb), grown.tree.value[:, 0]
            trees.append(grown.tree)
            tree_weights.append(step)
            # MLlib sums gain x count over the trees without normalising each tree first.
            importances += grown.importances
            kernels.add_leaf_values(score, leaves, np.ascontiguousarray(values), step, target,
                                    growth)
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


NEWTON_MIN_HESSIAN = 1e-3
"""With Newton leaves, the summed hessian a split's side needs, times the mean row weight
(LightGBM's ``min_sum_hessian_in_leaf``), when ``min_instances_per_node`` is 1."""


def _side_weight(newton: bool, weight: Array, min_instances: int,
                 bins: list[FeatureBins]) -> float | None:
    """The weight a boosting tree's split sides need in place of a row count, when histograms
    can leave counts out (:attr:`GrowConfig.side_weight`); ``None`` when they cannot.

    MLlib's leaves on unweighted rows: a side's weight is its row count, exactly (integers), so
    ``min_instances - 0.5`` is the same rule. Newton leaves weigh rows by their hessians; with
    ``min_instances_per_node`` 1 and no categorical feature (whose small categories are told
    by their row counts) a side needs :data:`NEWTON_MIN_HESSIAN` of it, as LightGBM's do.
    """
    if not newton:
        return min_instances - 0.5 if bool((weight == 1.0).all()) else None
    if min_instances > 1 or any(b.categorical for b in bins) or weight.size == 0:
        return None
    return NEWTON_MIN_HESSIAN * float(weight.mean())


LEAF_VALUES = ("gradient", "newton")
"""``gradient``: trees split by the variance of the negative gradients and a leaf holds their
mean (MLlib's rule); ``newton``: trees split by the second-order gain and a leaf holds the sum of
negative gradients over the sum of second derivatives (LightGBM's and XGBoost's rule), for the
logistic and squared losses."""
NEWTON_LOSSES = {"logistic": kernels.LOGISTIC, "squared": kernels.SQUARED}
"""Losses with a second derivative, for Newton leaves (:func:`kernels.step_stats`): for the
logistic loss the negative gradient is r = 4y / (1 + e^{2yF}) and h = r y (2 - r y / 2)."""
LOSS_CODES = {**NEWTON_LOSSES, "absolute": kernels.ABSOLUTE}
""":func:`kernels.step_stats`' code of each loss."""


def _base_score(loss: str, target: Array, weight: Array) -> float:
    """The best constant score: half the log-odds (MLlib's logistic scale), or the mean."""
    mean = _weighted_mean(target, weight)
    if loss == "logistic":
        positive = min(max((mean + 1.0) / 2.0, 1e-12), 1 - 1e-12)
        return 0.5 * math.log(positive / (1.0 - positive))
    return mean


def _constant_tree(value: float) -> Tree:
    return Tree(feature=np.array([-1]), threshold=np.array([np.nan]), left_categories=[None],
                left=np.array([-1]), right=np.array([-1]), missing_left=np.array([True]),
                value=np.array([[value]]), impurity=np.zeros(1), count=np.zeros(1),
                gain=np.zeros(1))


def _weighted_mean(values: Array, weights: Array) -> float:
    total = float(weights.sum())
    return float((values * weights).sum() / total) if total > 0 else float(values.mean())


PARAM_NAMES = ("max_depth", "max_bins", "impurity", "min_instances_per_node", "min_info_gain",
               "min_weight_fraction_per_node", "categorical_features", "missing", "seed",
               "n_threads", "n_trees", "feature_subset_strategy", "subsampling_rate",
               "bootstrap", "max_iter", "step_size", "loss", "validation_fraction",
               "validation_tol", "leaf_values")
DEFAULTS: dict[str, Any] = {
    "max_depth": 5, "max_bins": 32, "impurity": None, "min_instances_per_node": 1,
    "min_info_gain": 0.0, "min_weight_fraction_per_node": 0.0, "categorical_features": "auto",
    "missing": "native", "seed": None, "n_threads": None,
}
GROWTH: dict[str, tuple[type, dict[str, Any]]] = {
    "tree": (object, {}),
    "forest": (ForestGrowth, {"n_trees": 20, "feature_subset_strategy": "auto",
                              "subsampling_rate": 1.0, "bootstrap": True}),
    "gbt": (BoostingGrowth, {"max_iter": 20, "step_size": 0.1, "loss": None,
                             "subsampling_rate": 1.0, "feature_subset_strategy": "all",
                             "validation_fraction": None, "validation_tol": 0.01,
                             "leaf_values": "gradient"}),
}


def make_learner(algorithm: str, task: str, **params: Any) -> TreeLearner:
    """A learner of ``algorithm`` (tree, forest, gbt) for ``task``, without scikit-learn.

    Parameters are the estimators' (scikit-learn names, MLlib defaults); unknown ones are an
    error.
    """
    mixin, extra = GROWTH[algorithm]
    defaults = {**DEFAULTS, **extra}
    if algorithm == "gbt":
        defaults.pop("impurity")
        defaults["loss"] = "logistic" if task == "classification" else "squared"
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ConfigError(f"Unknown parameter(s) {', '.join(unknown)} for {algorithm}; valid: "
                          f"{', '.join(sorted(defaults))}.")
    bases = (TreeLearner,) if mixin is object else (mixin, TreeLearner)
    klass = type(f"{algorithm.title()}{task.title()}Learner", bases, {"_task": task})
    learner: TreeLearner = klass()
    for name, value in {**defaults, **params}.items():
        setattr(learner, name, value)
    return learner
