"""sparkgrove: a self-hosted, Python-first workbench for distributed machine learning.

Start with :class:`Workspace` (settings, catalog, registry and a Spark session), crawl files with
:meth:`Catalog.crawl`, train with :func:`train_table`, score with :func:`predict_table`, and use
the portable :class:`TreeModel` anywhere numpy runs.
"""

from sparkgrove.catalog import Catalog, CrawlReport, crawl_path
from sparkgrove.errors import (
    AlreadyExistsError,
    ConfigError,
    CrawlError,
    DataError,
    EnvironmentProblem,
    InvalidNameError,
    ModelFormatError,
    NotFoundError,
    SparkgroveError,
)
from sparkgrove.predict import PredictResult, predict_table
from sparkgrove.registry import Registry
from sparkgrove.settings import Settings, load_settings
from sparkgrove.spark import build_session, read_table
from sparkgrove.training import TrainResult, train_table
from sparkgrove.trees import FeatureSpec, LabelSpec, Tree, TreeModel, TreeParams, render_tree
from sparkgrove.workspace import Workspace

__version__ = "0.1.0"

__all__ = [
    "AlreadyExistsError",
    "Catalog",
    "ConfigError",
    "CrawlError",
    "CrawlReport",
    "DataError",
    "EnvironmentProblem",
    "FeatureSpec",
    "InvalidNameError",
    "LabelSpec",
    "ModelFormatError",
    "NotFoundError",
    "PredictResult",
    "Registry",
    "Settings",
    "SparkgroveError",
    "TrainResult",
    "Tree",
    "TreeModel",
    "TreeParams",
    "Workspace",
    "__version__",
    "build_session",
    "crawl_path",
    "load_settings",
    "predict_table",
    "read_table",
    "render_tree",
    "train_table",
]
