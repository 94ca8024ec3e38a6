"""Decision trees: the portable ``TreeModel``, the local engine's estimators (trees, forests,
gradient-boosted trees), parameters, rendering, and the MLlib engine.

Names are imported on first use: ``from sparkgrove.trees import TreeModel`` needs neither
scikit-learn nor numba.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sparkgrove.trees.ensembles import (
        GBTClassifier,
        GBTRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sparkgrove.trees.estimators import (
        DecisionTreeClassifier,
        DecisionTreeRegressor,
        NotFittedError,
    )
    from sparkgrove.trees.model import FeatureSpec, LabelSpec, Tree, TreeModel
    from sparkgrove.trees.params import TreeParams
    from sparkgrove.trees.render import render_tree

_LAZY = {
    "DecisionTreeClassifier": "sparkgrove.trees.estimators",
    "DecisionTreeRegressor": "sparkgrove.trees.estimators",
    "NotFittedError": "sparkgrove.trees.estimators",
    "GBTClassifier": "sparkgrove.trees.ensembles",
    "GBTRegressor": "sparkgrove.trees.ensembles",
    "RandomForestClassifier": "sparkgrove.trees.ensembles",
    "RandomForestRegressor": "sparkgrove.trees.ensembles",
    "FeatureSpec": "sparkgrove.trees.model",
    "LabelSpec": "sparkgrove.trees.model",
    "Tree": "sparkgrove.trees.model",
    "TreeModel": "sparkgrove.trees.model",
    "TreeParams": "sparkgrove.trees.params",
    "render_tree": "sparkgrove.trees.render",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sparkgrove.trees' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "FeatureSpec",
    "GBTClassifier",
    "GBTRegressor",
    "LabelSpec",
    "NotFittedError",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "Tree",
    "TreeModel",
    "TreeParams",
    "render_tree",
]
