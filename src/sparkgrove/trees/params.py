"""Tree, forest and boosting parameters, declared once.

:data:`SPECS` holds one entry per parameter: its name here (snake_case, MLlib's meaning), its
MLlib name, its name in the local engine's estimators, type, default, allowed range, the
algorithms it applies to, and its help text. Everything else is generated from it or checked
against it: :class:`TreeParams` checks its values with these rules and builds each engine's
keyword arguments from these names; the CLI's ``train`` options take their help from here; the
tests check the dataclass fields, the estimators' signatures and the CLI defaults against it.

An engine honours a parameter when it has a name for it there. A parameter set to something
other than its default that the chosen engine (or algorithm) does not use is reported by
:meth:`TreeParams.unused`, never silently dropped. ``algorithm`` picks the MLlib estimator
(``tree``: DecisionTree*, ``forest``: RandomForest*, ``gbt``: GBT*) and the local engine's twin.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sparkgrove.errors import ConfigError

IMPURITIES = {"classification": ("gini", "entropy"), "regression": ("variance",)}
TASKS = ("classification", "regression")
ALGORITHMS = ("tree", "forest", "gbt")
ENGINES = ("spark", "local")
GBT_LOSSES = {"classification": ("logistic",), "regression": ("squared", "absolute")}
LEAF_VALUES = ("gradient", "newton")
MAX_BINS = 65_535
"""The most bins per feature either engine takes (the local engine's bins are ``uint16``)."""

ALL = ALGORITHMS
ENSEMBLES = ("forest", "gbt")


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool) or type(v).__name__ == "bool_"  # numpy's too


def _int_in(low: int, high: int) -> Callable[[Any], bool]:
    # numbers.Integral: Python's ints and numpy's alike, as scikit-learn's checks pass both
    return lambda v: isinstance(v, numbers.Integral) and not _is_bool(v) and low <= int(v) <= high


def _number(test: Callable[[float], bool]) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, numbers.Real) and not _is_bool(v) and test(float(v))


def _one_of(*choices: Any) -> Callable[[Any], bool]:
    return lambda v: v in choices


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: where each engine takes it, its rule and its help."""

    name: str
    mllib: str | None
    """MLlib's name; ``None``: MLlib has no such parameter."""
    local: str | None
    """The local engine estimators' argument; ``None``: the local engine has none."""
    type: type
    default: Any
    rule: Callable[[Any], bool]
    rule_text: str
    algorithms: tuple[str, ...]
    help: str
    nullable: bool = False
    """``None`` is allowed (and means the default that depends on the task)."""

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` keeps the rule (``None`` where the parameter is nullable)."""
        return (value is None and self.nullable) or bool(self.rule(value))

    def honoured_by(self, engine: str) -> bool:
        """Whether ``engine`` (``spark`` or ``local``) uses this parameter."""
        return (self.mllib if engine == "spark" else self.local) is not None


SPECS: tuple[ParamSpec, ...] = (
    ParamSpec("max_depth", "maxDepth", "max_depth", int, 5, _int_in(0, 30),
              "an int in the range [0, 30]", ALL, "MLlib maxDepth: the deepest a tree grows."),
    ParamSpec("max_bins", "maxBins", "max_bins", int, 32, _int_in(2, MAX_BINS),
              f"an int in the range [2, {MAX_BINS}]", ALL,
              "MLlib maxBins: bins per continuous feature (raised to cover a categorical "
              "column's categories when needed)."),
    ParamSpec("impurity", "impurity", "impurity", str, None,
              _one_of(*IMPURITIES["classification"], *IMPURITIES["regression"]),
              "gini or entropy (classification), variance (regression)", ("tree", "forest"),
              "MLlib impurity: gini or entropy (classification), variance (regression).",
              nullable=True),
    ParamSpec("min_instances_per_node", "minInstancesPerNode", "min_instances_per_node", int, 1,
              _int_in(1, 2**31 - 1), "an int >= 1", ALL, "MLlib minInstancesPerNode."),
    ParamSpec("min_info_gain", "minInfoGain", "min_info_gain", float, 0.0,
              _number(lambda v: v >= 0), "a float >= 0", ALL, "MLlib minInfoGain."),
    ParamSpec("min_weight_fraction_per_node", "minWeightFractionPerNode",
              "min_weight_fraction_per_node", float, 0.0, _number(lambda v: 0 <= v < 0.5),
              "a float in the range [0, 0.5)", ALL, "MLlib minWeightFractionPerNode."),
    ParamSpec("seed", "seed", "seed", int, None, _int_in(-(2**63), 2**63 - 1), "an int", ALL,
              "MLlib seed (and the local engine's).", nullable=True),
    ParamSpec("weight_col", "weightCol", None, str, None, lambda v: isinstance(v, str) and v != "",
              "a column name", ALL,
              "MLlib weightCol: a numeric column of row weights (the local engine takes them as "
              "sample_weight).", nullable=True),
    ParamSpec("max_memory_in_mb", "maxMemoryInMB", None, int, 256, _int_in(1, 1_000_000),
              "an int >= 1", ALL, "MLlib maxMemoryInMB (the local engine has no such limit)."),
    ParamSpec("cache_node_ids", "cacheNodeIds", None, bool, False, _is_bool, "a bool", ALL,
              "MLlib cacheNodeIds."),
    ParamSpec("checkpoint_interval", "checkpointInterval", None, int, 10,
              lambda v: isinstance(v, numbers.Integral) and not _is_bool(v) and (int(v) == -1 or int(v) >= 1),
              "an int >= 1, or -1 to disable", ALL, "MLlib checkpointInterval."),
    ParamSpec("algorithm", None, None, str, "tree", _one_of(*ALGORITHMS),
              f"one of {', '.join(ALGORITHMS)}", ALL,
              "tree (DecisionTree), forest (RandomForest) or gbt (GBT, gradient-boosted trees; "
              "binary classification or regression)."),
    ParamSpec("num_trees", "numTrees", "n_trees", int, 20, _int_in(1, 10_000),
              "an int in the range [1, 10000]", ("forest",), "forest: MLlib numTrees."),
    ParamSpec("feature_subset_strategy", "featureSubsetStrategy", "feature_subset_strategy",
              str, "auto", lambda v: isinstance(v, str) and v != "",
              "auto, all, sqrt, log2, onethird, an int n or a fraction", ENSEMBLES,
              "forest/gbt: MLlib featureSubsetStrategy (auto, all, sqrt, log2, onethird, n, "
              "fraction)."),
    ParamSpec("subsampling_rate", "subsamplingRate", "subsampling_rate", float, 1.0,
              _number(lambda v: 0 < v <= 1), "a float in the range (0, 1]", ENSEMBLES,
              "forest/gbt: MLlib subsamplingRate."),
    ParamSpec("max_iter", "maxIter", "max_iter", int, 20, _int_in(1, 10_000),
              "an int in the range [1, 10000]", ("gbt",),
              "gbt: MLlib maxIter (number of trees)."),
    ParamSpec("step_size", "stepSize", "step_size", float, 0.1, _number(lambda v: 0 < v <= 1),
              "a float in the range (0, 1]", ("gbt",), "gbt: MLlib stepSize (learning rate)."),
    ParamSpec("loss", "lossType", "loss", str, None,
              _one_of(*GBT_LOSSES["classification"], *GBT_LOSSES["regression"]),
              "logistic (classification), squared or absolute (regression)", ("gbt",),
              "gbt: MLlib lossType: logistic (classification), squared or absolute "
              "(regression).", nullable=True),
    ParamSpec("leaf_values", None, "leaf_values", str, "gradient", _one_of(*LEAF_VALUES),
              "'gradient' or 'newton'", ("gbt",),
              "gbt, local engine: gradient (MLlib's leaves) or newton (second-order leaves and "
              "splits, as LightGBM's; usually more accurate with many trees)."),
)
SPEC = {p.name: p for p in SPECS}
""":data:`SPECS` by name."""
PASSED_BY_PIPELINE = ("weight_col", "algorithm")
"""Parameters the training pipeline applies itself rather than as an estimator argument."""


@dataclass(frozen=True)
class TreeParams:
    """MLlib's decision-tree, forest and boosting parameters (snake_case here, camelCase in
    MLlib); see :data:`SPECS` for each one's MLlib name, rule and default.

    ``impurity`` ``None`` is gini for classification and variance for regression; ``loss``
    ``None`` is logistic or squared; ``leaf_values`` ``newton`` is the local engine's
    second-order boosting (MLlib's GBT has gradient leaves only).
    """

    max_depth: int = 5
    max_bins: int = 32
    impurity: str | None = None
    min_instances_per_node: int = 1
    min_info_gain: float = 0.0
    min_weight_fraction_per_node: float = 0.0
    seed: int | None = None
    weight_col: str | None = None
    max_memory_in_mb: int = 256
    cache_node_ids: bool = False
    checkpoint_interval: int = 10
    algorithm: str = "tree"
    num_trees: int = 20
    feature_subset_strategy: str = "auto"
    subsampling_rate: float = 1.0
    max_iter: int = 20
    step_size: float = 0.1
    loss: str | None = None
    leaf_values: str = "gradient"

    def resolved_impurity(self, task: str) -> str:
        """The impurity to use for ``task`` (boosted trees are regression trees: variance)."""
        if self.algorithm == "gbt":
            return "variance"
        return self.impurity or IMPURITIES[task][0]

    def resolved_loss(self, task: str) -> str:
        """The boosting loss for ``task`` (MLlib's lossType)."""
        return self.loss or GBT_LOSSES[task][0]

    def check(self, task: str) -> None:
        """Raise :class:`ConfigError` for the first parameter that breaks its rule."""
        self.check_common()
        if self.algorithm == "gbt":
            if self.loss is not None and self.loss not in GBT_LOSSES[task]:
                raise ConfigError(f"The 'loss' parameter must be one of "
                                  f"{', '.join(GBT_LOSSES[task])} for {task}. Got "
                                  f"{self.loss!r} instead.")
            return
        impurity = self.resolved_impurity(task)
        if impurity not in IMPURITIES[task]:
            raise ConfigError(
                f"The 'impurity' parameter must be one of {', '.join(IMPURITIES[task])} for "
                f"{task}. Got {impurity!r} instead.")

    def check_common(self) -> None:
        """The rules that hold whatever the task: checked before any data is read."""
        for spec in SPECS:
            value = getattr(self, spec.name)
            if not spec.accepts(value):
                raise ConfigError(f"The '{spec.name}' parameter must be {spec.rule_text}. "
                                  f"Got {value!r} instead.")

    def _applies(self, spec: ParamSpec) -> bool:
        return self.algorithm in spec.algorithms and spec.name not in PASSED_BY_PIPELINE

    def _resolved(self, task: str) -> dict[str, Any]:
        values = {**asdict(self), "impurity": self.resolved_impurity(task),
                  "loss": self.resolved_loss(task)}
        if self.algorithm == "gbt" and self.feature_subset_strategy == "auto":
            values["feature_subset_strategy"] = "all"  # MLlib's GBT default: auto is all
        return values

    def mllib_params(self, task: str) -> dict[str, Any]:
        """Keyword arguments for MLlib's estimator of ``algorithm``."""
        values = self._resolved(task)
        return {spec.mllib: values[spec.name] for spec in SPECS
                if spec.mllib and self._applies(spec) and values[spec.name] is not None}

    def local_params(self, task: str) -> dict[str, Any]:
        """Keyword arguments for the local engine's estimator of ``algorithm``."""
        values = self._resolved(task)
        return {spec.local: values[spec.name] for spec in SPECS
                if spec.local and self._applies(spec)}

    def unused(self, engine: str) -> list[str]:
        """What ``engine`` will not use of what was set: one line per parameter given a value
        other than its default that this engine or ``algorithm`` ignores."""
        lines = []
        for spec in SPECS:
            value = getattr(self, spec.name)
            if value == spec.default or spec.name in PASSED_BY_PIPELINE:
                continue
            if self.algorithm not in spec.algorithms:
                lines.append(f"{spec.name}={value!r} is not used by algorithm {self.algorithm} "
                             f"(it applies to {', '.join(spec.algorithms)})")
            elif not spec.honoured_by(engine):
                other = "local" if engine == "spark" else "spark"
                lines.append(f"{spec.name}={value!r} is not used by the {engine} engine (only "
                             f"by the {other} engine)")
        return lines
