"""The exceptions sparkgrove raises.

Every error derives from one root, carries a stable ``code`` and maps to a process exit code
(for the CLI) and an HTTP status (for the web apps)::

    SparkgroveError
    ├── ConfigError            bad settings or parameters (exit 2, HTTP 400); also a ValueError
    ├── EnvironmentProblem     the machine lacks something, e.g. Java (exit 3, HTTP 500)
    ├── NotFoundError          unknown database, table, column, model or version (exit 4, HTTP 404)
    ├── AlreadyExistsError     a name that is taken (exit 5, HTTP 409)
    ├── DataError              the data cannot be used as asked: empty table, label unfit (exit 6, HTTP 422);
    │                          also a ValueError, as scikit-learn's estimators raise
    │   └── DataTypeError      a value whose type cannot be used (also a TypeError)
    │   ├── CrawlError         a crawl that found nothing usable
    │   ├── InputError         a prediction request that breaks the model's input spec; names the field
    │   │   └── RequestTooLargeError  more rows or bytes than the server takes (HTTP 413)
    │   └── NotFittedError     an estimator used before ``fit`` (also an AttributeError)
    ├── ModelFormatError       a portable model file that cannot be read (exit 7, HTTP 422)
    ├── ModelUnavailableError  a served model that cannot answer now, e.g. its file is damaged (HTTP 503)
    ├── EtlError               an ETL transform or job run failed (exit 8, HTTP 422)
    ├── NotOfferedError        an API of AWS Glue or Zeppelin with no local meaning (exit 9, HTTP 501)
    ├── NotebookRunError       a notebook run that failed or skipped cells (exit 10, HTTP 422)
    └── SparkError             Spark itself failed; the Java cause is kept (exit 11, HTTP 502)

``ConfigError`` has ``InvalidNameError`` (a name or path that breaks the naming rules) and
``GlueArgumentError`` (a job argument the script asks for was not passed) below it.

Messages name the thing, the rule it broke, the value, and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class SparkgroveError(Exception):
    """Root of every sparkgrove error."""

    code = "error"
    exit_code = 1
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(SparkgroveError, ValueError):
    """A setting or a parameter has a value that is not allowed."""

    code = "config"
    exit_code = 2
    http_status = 400


class InvalidNameError(ConfigError):
    """A database, table, column or model name that breaks the naming rules."""

    code = "invalid_name"


class EnvironmentProblem(SparkgroveError):
    """Something the machine must provide is missing (for example Java 17+)."""

    code = "environment"
    exit_code = 3


class NotFoundError(SparkgroveError):
    """A named thing does not exist."""

    code = "not_found"
    exit_code = 4
    http_status = 404


class AlreadyExistsError(SparkgroveError):
    """A name that is already taken."""

    code = "already_exists"
    exit_code = 5
    http_status = 409


class DataError(SparkgroveError, ValueError):
    """The data cannot be used as asked (empty table, unfit label, too many categories)."""

    code = "data"
    exit_code = 6
    http_status = 422


class DataTypeError(DataError, TypeError):
    """A value of a type that cannot be a feature (a dict in a column, say); also a TypeError,
    as scikit-learn's input checks raise."""

    code = "data_type"


class CrawlError(DataError):
    """A crawl found nothing it could catalog."""

    code = "crawl"


class InputError(DataError):
    """A prediction input that breaks the model's input spec: ``field`` names where (as
    ``columns.age`` or ``instances[3].age``) and ``rule`` the rule it broke."""

    code = "input"

    def __init__(self, message: str, *, field: str = "", rule: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule


class RequestTooLargeError(InputError):
    """A request with more rows or bytes than the server is set to take."""

    code = "too_large"
    http_status = 413


class NotFittedError(DataError, AttributeError):
    """An estimator used before ``fit`` (scikit-learn's ``NotFittedError`` is also a
    ValueError and an AttributeError)."""

    code = "not_fitted"


class GlueArgumentError(ConfigError):
    """A job argument the script asks for was not passed."""

    code = "glue_argument"


class EtlError(SparkgroveError):
    """An ETL transform or job failed (for instance past its error thresholds)."""

    code = "etl"
    exit_code = 8
    http_status = 422


class NotebookRunError(SparkgroveError):
    """A notebook run that failed, or skipped cells it could not run."""

    code = "notebook_run"
    exit_code = 10
    http_status = 422


class SparkError(SparkgroveError):
    """Spark failed in a way sparkgrove has no better words for; the message is Spark's first
    line and ``__cause__`` keeps the Java exception."""

    code = "spark"
    exit_code = 11
    http_status = 502


class NotOfferedError(SparkgroveError, NotImplementedError):
    """An API of a system we stand in for (AWS Glue, say) that has no local meaning here."""

    code = "not_offered"
    exit_code = 9
    http_status = 501


class ModelFormatError(SparkgroveError):
    """A portable model document that cannot be read."""

    code = "model_format"
    exit_code = 7
    http_status = 422


class ModelUnavailableError(SparkgroveError):
    """A served model that cannot answer now (its file is damaged, or it was never loaded);
    the other models of the server keep answering."""

    code = "model_unavailable"
    exit_code = 12
    http_status = 503


def suggest(name: str, choices: Iterable[str], what: str) -> str:
    """Say which ``choices`` exist, nearest to ``name`` first, for an error message."""
    options = sorted(set(choices))
    if not options:
        return f"there are no {what} yet"
    near = difflib.get_close_matches(name, options, n=3, cutoff=0.5)
    rest = [o for o in options if o not in near]
    ordered = near + rest
    shown = ", ".join(ordered[:10]) + (" ..." if len(ordered) > 10 else "")
    prefix = f"did you mean {near[0]}? " if near else ""
    return f"{prefix}{what} that exist: {shown}"
