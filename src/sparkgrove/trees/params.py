"""Decision-tree parameters under their MLlib meanings, with one table of rules checked at fit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sparkgrove.errors import ConfigError

IMPURITIES = {"classification": ("gini", "entropy"), "regression": ("variance",)}
TASKS = ("classification", "regression")


@dataclass(frozen=True)
class TreeParams:
    """MLlib's decision-tree parameters (snake_case here, camelCase in MLlib).

    ``max_depth`` (maxDepth), ``max_bins`` (maxBins), ``impurity`` (``None``: gini for
    classification, variance for regression), ``min_instances_per_node``,
    ``min_info_gain``, ``min_weight_fraction_per_node``, ``seed``, ``weight_col``,
    ``max_memory_in_mb``, ``cache_node_ids``, ``checkpoint_interval``.
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

    def resolved_impurity(self, task: str) -> str:
        """The impurity to use for ``task``."""
        return self.impurity or IMPURITIES[task][0]

    def check(self, task: str) -> None:
        """Raise :class:`ConfigError` for the first parameter that breaks its rule."""
        for name, (rule, text) in _RULES.items():
            value = getattr(self, name)
            if value is not None and not rule(value):
                raise ConfigError(
                    f"The '{name}' parameter of the decision tree must be {text}. "
                    f"Got {value!r} instead.")
        impurity = self.resolved_impurity(task)
        if impurity not in IMPURITIES[task]:
            raise ConfigError(
                f"The 'impurity' parameter must be one of {', '.join(IMPURITIES[task])} for "
                f"{task}. Got {impurity!r} instead.")

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return asdict(self)

    def mllib_params(self, task: str) -> dict[str, Any]:
        """Keyword arguments for MLlib's DecisionTreeClassifier/Regressor."""
        out: dict[str, Any] = {
            "maxDepth": self.max_depth,
            "maxBins": self.max_bins,
            "impurity": self.resolved_impurity(task),
            "minInstancesPerNode": self.min_instances_per_node,
            "minInfoGain": self.min_info_gain,
            "minWeightFractionPerNode": self.min_weight_fraction_per_node,
            "maxMemoryInMB": self.max_memory_in_mb,
            "cacheNodeIds": self.cache_node_ids,
            "checkpointInterval": self.checkpoint_interval,
        }
        if self.seed is not None:
            out["seed"] = self.seed
        return out


def _int_in(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "max_depth": (_int_in(0, 30), "an int in the range [0, 30]"),
    "max_bins": (_int_in(2, 1_000_000), "an int in the range [2, 1000000]"),
    "min_instances_per_node": (_int_in(1, 2**31 - 1), "an int >= 1"),
    "min_info_gain": (lambda v: isinstance(v, int | float) and v >= 0, "a float >= 0"),
    "min_weight_fraction_per_node": (lambda v: isinstance(v, int | float) and 0 <= v < 0.5,
                                     "a float in the range [0, 0.5)"),
    "max_memory_in_mb": (_int_in(1, 1_000_000), "an int >= 1"),
    "checkpoint_interval": (lambda v: isinstance(v, int) and (v == -1 or v >= 1),
                            "an int >= 1, or -1 to disable"),
}
