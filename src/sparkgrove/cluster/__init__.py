"""Clusters and steps: Spark's own standalone daemons managed as EMR manages clusters."""

from sparkgrove.cluster.manager import ClusterInfo, ClusterManager
from sparkgrove.cluster.spec import ClusterSpec, build_spec, load_spec
from sparkgrove.store.step_store import Step, StepStore

__all__ = ["ClusterInfo", "ClusterManager", "ClusterSpec", "Step", "StepStore", "build_spec",
           "load_spec"]
