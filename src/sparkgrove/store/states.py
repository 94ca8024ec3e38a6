"""The states of every record kind, defined once. Values are what the store holds and what
``--json`` output shows (EMR's names for clusters and steps, Glue's for job runs)."""

from __future__ import annotations

from enum import StrEnum


class ClusterState(StrEnum):
    """A cluster's state, as EMR names them."""

    STARTING = "STARTING"
    RUNNING = "RUNNING"
    TERMINATED = "TERMINATED"
    TERMINATED_WITH_ERRORS = "TERMINATED_WITH_ERRORS"


class StepState(StrEnum):
    """A step's state, as EMR names them: PENDING -> RUNNING -> one of the final ones."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"
    INTERRUPTED = "INTERRUPTED"

    @property
    def final(self) -> bool:
        """Whether the step has ended."""
        return self not in (StepState.PENDING, StepState.RUNNING)


class RunState(StrEnum):
    """An ETL job run's or a notebook run's state, as Glue names job runs (INCOMPLETE: a
    notebook run that skipped paragraphs it could not run)."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    INTERRUPTED = "INTERRUPTED"
    INCOMPLETE = "INCOMPLETE"
