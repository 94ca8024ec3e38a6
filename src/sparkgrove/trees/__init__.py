"""Decision trees: the portable ``TreeModel``, parameters, rendering and the MLlib engine."""

from sparkgrove.trees.model import FeatureSpec, LabelSpec, Tree, TreeModel
from sparkgrove.trees.params import TreeParams
from sparkgrove.trees.render import render_tree

__all__ = ["FeatureSpec", "LabelSpec", "Tree", "TreeModel", "TreeParams", "render_tree"]
