"""``Job``: a run's name, its bookmark option, and the commit that publishes its work."""

from __future__ import annotations

from typing import Any

from sparkgrove.errors import ConfigError
from sparkgrove.etl.bookmarks import DISABLE, OPTIONS
from sparkgrove.etl.context import GlueContext, current_run


class Job:
    """``job = Job(glueContext); job.init(args["JOB_NAME"], args); ...; job.commit()``."""

    def __init__(self, glue_context: GlueContext) -> None:
        self._context = glue_context
        self._run = current_run()
        self._initialized = False

    @staticmethod
    def continuation_options() -> list[str]:
        """The continuation (bookmark) option names, as ``--continuation-option`` takes."""
        return ["continuation-enabled", "continuation-readonly", "continuation-ignore"]

    @staticmethod
    def job_bookmark_options() -> list[str]:
        """The values ``--job-bookmark-option`` takes."""
        return list(OPTIONS)

    @staticmethod
    def job_bookmark_range_options() -> list[str]:
        """The names of the bookmark range arguments."""
        return ["job-bookmark-from", "job-bookmark-to"]

    @staticmethod
    def id_params() -> list[str]:
        """The identifying arguments Glue passes a job."""
        return ["--JOB_NAME", "--JOB_ID", "--JOB_RUN_ID", "--SECURITY_CONFIGURATION"]

    @staticmethod
    def encryption_type_options() -> list[str]:
        """The values ``--encryption-type`` takes."""
        return ["sse-s3"]

    def init(self, job_name: str, args: dict[str, Any] | None = None) -> None:
        """Name the run and read its bookmark option from ``args``."""
        options = args or {}
        option = options.get("job_bookmark_option") or options.get("job-bookmark-option") or \
            self._run.bookmark_option or DISABLE
        if option not in OPTIONS:
            raise ConfigError(f"--job-bookmark-option must be one of {', '.join(OPTIONS)}; got "
                              f"{option!r}.")
        self._run.job_name = job_name
        self._run.bookmark_option = option
        self._initialized = True

    def isInitialized(self) -> bool:
        """Whether ``init`` has run."""
        return self._initialized

    def commit(self) -> None:
        """Publish staged writes and catalog updates, then advance the bookmarks."""
        self._run.publish()
