"""Tree, forest and boosting parameters under their MLlib meanings, with one table of rules
checked before any data is read. ``algorithm`` picks the MLlib estimator (``tree``:
DecisionTree*, ``forest``: RandomForest*, ``gbt``: GBT*) and the local engine's twin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sparkgrove.errors import ConfigError

IMPURITIES = {"classification": ("gini", "entropy"), "regression": ("variance",)}
TASKS = ("classification", "regression")
ALGORITHMS = ("tree", "forest", "gbt")
GBT_LOSSES = {"classification": ("logistic",), "regression": ("squared", "absolute")}


@dataclass(frozen=True)
class TreeParams:
    """MLlib's decision-tree parameters (snake_case here, camelCase in MLlib).

    ``max_depth`` (maxDepth), ``max_bins`` (maxBins), ``impurity`` (``None``: gini for
    classification, variance for regression), ``min_instances_per_node``,
    ``min_info_gain``, ``min_weight_fraction_per_node``, ``seed``, ``weight_col``,
    ``max_memory_in_mb``, ``cache_node_ids``, ``checkpoint_interval``; ``algorithm``
    (``tree``, ``forest``, ``gbt``); forests: ``num_trees`` (numTrees),
    ``feature_subset_strategy``, ``subsampling_rate``; boosting: ``max_iter`` (maxIter),
    ``step_size`` (stepSize), ``loss`` (lossType; ``None``: logistic or squared),
    ``leaf_values`` (``gradient``, MLlib's; ``newton``, the local engine's second-order leaves).
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
        for name, (rule, text) in _RULES.items():
            value = getattr(self, name)
            if value is not None and not rule(value):
                raise ConfigError(
                    f"The '{name}' parameter of the decision tree must be {text}. "
                    f"Got {value!r} instead.")
        if self.algorithm not in ALGORITHMS:
            raise ConfigError(f"The 'algorithm' parameter must be one of {', '.join(ALGORITHMS)}. "
                              f"Got {self.algorithm!r} instead.")
        if self.leaf_values not in ("gradient", "newton"):
            raise ConfigError("The 'leaf_values' parameter must be 'gradient' or 'newton'. Got "
                              f"{self.leaf_values!r} instead.")

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return asdict(self)

    def mllib_params(self, task: str) -> dict[str, Any]:
        """Keyword arguments for MLlib's estimator of ``algorithm``."""
        out: dict[str, Any] = {
            "maxDepth": self.max_depth,
            "maxBins": self.max_bins,
            "minInstancesPerNode": self.min_instances_per_node,
            "minInfoGain": self.min_info_gain,
            "minWeightFractionPerNode": self.min_weight_fraction_per_node,
            "maxMemoryInMB": self.max_memory_in_mb,
            "cacheNodeIds": self.cache_node_ids,
            "checkpointInterval": self.checkpoint_interval,
        }
        if self.algorithm != "gbt":
            out["impurity"] = self.resolved_impurity(task)
        if self.algorithm == "forest":
            out.update(numTrees=self.num_trees, featureSubsetStrategy=self.feature_subset_strategy,
                       subsamplingRate=self.subsampling_rate)
        if self.algorithm == "gbt":
            out.update(maxIter=self.max_iter, stepSize=self.step_size,
                       lossType=self.resolved_loss(task),
                       featureSubsetStrategy=self.feature_subset_strategy,
                       subsamplingRate=self.subsampling_rate)
        if self.seed is not None:
            out["seed"] = self.seed
        return out

    def local_params(self, task: str) -> dict[str, Any]:
        """Keyword arguments for the local engine's estimator of ``algorithm``."""
        out: dict[str, Any] = {
            "max_depth": self.max_depth, "max_bins": self.max_bins,
            "min_instances_per_node": self.min_instances_per_node,
            "min_info_gain": self.min_info_gain,
            "min_weight_fraction_per_node": self.min_weight_fraction_per_node, "seed": self.seed,
        }
        if self.algorithm != "gbt":
            out["impurity"] = self.resolved_impurity(task)
        if self.algorithm == "forest":
            out.update(n_trees=self.num_trees, feature_subset_strategy=self.feature_subset_strategy,
                       subsampling_rate=self.subsampling_rate)
        if self.algorithm == "gbt":
            out.update(max_iter=self.max_iter, step_size=self.step_size,
                       loss=self.resolved_loss(task),
                       feature_subset_strategy=("all" if self.feature_subset_strategy == "auto"
                                                else self.feature_subset_strategy),
                       subsampling_rate=self.subsampling_rate, leaf_values=self.leaf_values)
        return out


def _int_in(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "max_depth": (_int_in(0, 30), "an int in the range [0, 30]"),
    "max_bins": (_int_in(2, 65_535), "an int in the range [2, 65535]"),
    "min_instances_per_node": (_int_in(1, 2**31 - 1), "an int >= 1"),
    "min_info_gain": (lambda v: isinstance(v, int | float) and v >= 0, "a float >= 0"),
    "min_weight_fraction_per_node": (lambda v: isinstance(v, int | float) and 0 <= v < 0.5,
                                     "a float in the range [0, 0.5)"),
    "max_memory_in_mb": (_int_in(1, 1_000_000), "an int >= 1"),
    "checkpoint_interval": (lambda v: isinstance(v, int) and (v == -1 or v >= 1),
                            "an int >= 1, or -1 to disable"),
    "num_trees": (_int_in(1, 10_000), "an int in the range [1, 10000]"),
    "max_iter": (_int_in(1, 10_000), "an int in the range [1, 10000]"),
    "step_size": (lambda v: isinstance(v, int | float) and 0 < v <= 1,
                  "a float in the range (0, 1]"),
    "subsampling_rate": (lambda v: isinstance(v, int | float) and 0 < v <= 1,
                         "a float in the range (0, 1]"),
}
