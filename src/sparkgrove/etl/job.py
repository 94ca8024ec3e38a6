"""``Job``: a run's name, its bookmark option, and the commit that publishes its work."""

from __future__ import annotations

from typing import Any

from sparkgrove.errors import ConfigError
from sparkgrove.etl.bookmarks import DISABLE, OPTIONS
from sparkgrove.etl.context import GlueContext, current_run


class Job:
    """``job = Job(glueContext); job.init(args["JOB_NAME"], args); ...; job.commit()``."""

    def __init__(self, glue_context: GlueContext) -> None:
        self.glue_context = glue_context
        self._run = current_run()

    def init(self, job_name: str, args: dict[str, Any] | None = None) -> None:
        """Name the run and read ``--job-bookmark-option`` from ``args``."""
        options = args or {}
        option = options.get("job_bookmark_option") or options.get("job-bookmark-option") or \
            self._run.bookmark_option or DISABLE
        if option not in OPTIONS:
            raise ConfigError(f"--job-bookmark-option must be one of {', '.join(OPTIONS)}; got "
                              f"{option!r}.")
        self._run.job_name = job_name
        self._run.bookmark_option = option

    def commit(self) -> None:
        """Publish staged writes and catalog updates, then advance the bookmarks."""
        self._run.publish()
