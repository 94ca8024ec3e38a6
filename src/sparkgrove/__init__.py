"""sparkgrove: a self-hosted, Python-first workbench for distributed machine learning.

Start with :class:`Workspace` (settings, catalog, registry and a Spark session), crawl files with
:meth:`Catalog.crawl`, train with :func:`train_table`, score with :func:`predict_table`, and use
the portable :class:`TreeModel` anywhere numpy runs. Names are imported on first use, so that
``import sparkgrove.trees`` stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sparkgrove.errors import (
    AlreadyExistsError,
    ConfigError,
    CrawlError,
    DataError,
    DataTypeError,
    EnvironmentProblem,
    EtlError,
    GlueArgumentError,
    InputError,
    InvalidNameError,
    ModelFormatError,
    ModelUnavailableError,
    NotebookRunError,
    NotFittedError,
    NotFoundError,
    NotOfferedError,
    RequestTooLargeError,
    SparkError,
    SparkgroveError,
)

if TYPE_CHECKING:
    from sparkgrove.catalog import Catalog, CrawlReport, crawl_path
    from sparkgrove.predict import PredictResult, predict_table
    from sparkgrove.registry import Registry, load_model
    from sparkgrove.settings import Settings, load_settings
    from sparkgrove.spark import build_session, read_table
    from sparkgrove.training import TrainResult, train_table
    from sparkgrove.trees import (
        DecisionTreeClassifier,
        DecisionTreeRegressor,
        FeatureSpec,
        GBTClassifier,
        GBTRegressor,
        LabelSpec,
        RandomForestClassifier,
        RandomForestRegressor,
        Tree,
        TreeModel,
        TreeParams,
        render_tree,
    )
    from sparkgrove.workspace import Workspace

__version__ = "0.1.0"

_LAZY = {
    "Catalog": "sparkgrove.catalog", "CrawlReport": "sparkgrove.catalog",
    "crawl_path": "sparkgrove.catalog", "PredictResult": "sparkgrove.predict",
    "predict_table": "sparkgrove.predict", "Registry": "sparkgrove.registry",
    "load_model": "sparkgrove.registry",
    "Settings": "sparkgrove.settings", "load_settings": "sparkgrove.settings",
    "build_session": "sparkgrove.spark", "read_table": "sparkgrove.spark",
    "TrainResult": "sparkgrove.training", "train_table": "sparkgrove.training",
    "DecisionTreeClassifier": "sparkgrove.trees", "DecisionTreeRegressor": "sparkgrove.trees",
    "FeatureSpec": "sparkgrove.trees", "LabelSpec": "sparkgrove.trees",
    "GBTClassifier": "sparkgrove.trees", "GBTRegressor": "sparkgrove.trees",
    "RandomForestClassifier": "sparkgrove.trees", "RandomForestRegressor": "sparkgrove.trees",
    "Tree": "sparkgrove.trees", "TreeModel": "sparkgrove.trees",
    "TreeParams": "sparkgrove.trees", "render_tree": "sparkgrove.trees",
    "Workspace": "sparkgrove.workspace",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sparkgrove' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AlreadyExistsError",
    "Catalog",
    "ConfigError",
    "CrawlError",
    "CrawlReport",
    "DataError",
    "DataTypeError",
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "EnvironmentProblem",
    "EtlError",
    "FeatureSpec",
    "GBTClassifier",
    "GBTRegressor",
    "GlueArgumentError",
    "InputError",
    "InvalidNameError",
    "LabelSpec",
    "ModelFormatError",
    "ModelUnavailableError",
    "NotFittedError",
    "NotFoundError",
    "NotOfferedError",
    "NotebookRunError",
    "PredictResult",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "Registry",
    "RequestTooLargeError",
    "Settings",
    "SparkError",
    "SparkgroveError",
    "TrainResult",
    "Tree",
    "TreeModel",
    "TreeParams",
    "Workspace",
    "__version__",
    "build_session",
    "crawl_path",
    "load_model",
    "load_settings",
    "predict_table",
    "read_table",
    "render_tree",
    "train_table",
]
