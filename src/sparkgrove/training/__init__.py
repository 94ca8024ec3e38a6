"""Training on catalog tables: one request resolved at the border (:mod:`.api`), the engine
chosen with each engine's limits in mind, the local engine's adapter (:mod:`.local`, no JVM),
the MLlib pipeline (:mod:`.mllib_pipeline`, :mod:`.spark_engine`), features and evaluation.
The learners themselves are in :mod:`sparkgrove.trees`."""

from sparkgrove.training.api import ENGINES, choose_engine, train_table
from sparkgrove.training.run import TrainResult

__all__ = ["ENGINES", "TrainResult", "choose_engine", "train_table"]
