"""Decision trees: the portable ``TreeModel``, the local engine's estimators, parameters,
rendering, and the MLlib engine."""

from sparkgrove.trees.estimators import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sparkgrove.trees.model import FeatureSpec, LabelSpec, Tree, TreeModel
from sparkgrove.trees.params import TreeParams
from sparkgrove.trees.render import render_tree

__all__ = [
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "FeatureSpec",
    "LabelSpec",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "Tree",
    "TreeModel",
    "TreeParams",
    "render_tree",
]
