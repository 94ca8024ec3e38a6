"""Spark's own standalone daemons: where their distribution is, their classes, and what the
master reports. Starting and stopping them (as any process) is :mod:`sparkgrove.processes`'s.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"


def spark_home() -> Path:
    """The Spark distribution inside the installed pyspark package."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def master_json(web_url: str, timeout: float = 3.0) -> dict[str, Any] | None:
    """The master's own JSON status, or ``None`` when it does not answer."""
    try:
        with urllib.request.urlopen(web_url.rstrip("/") + "/json/", timeout=timeout) as resp:
            data: dict[str, Any] = json.loads(resp.read().decode())
            return data
    except (urllib.error.URLError, OSError, ValueError):
        return None


def driver_json(ui_url: str, path: str, timeout: float = 3.0) -> Any | None:
    """A running driver's REST API (``/api/v1/...``), or ``None`` when it does not answer."""
    try:
        with urllib.request.urlopen(f"{ui_url.rstrip('/')}/api/v1/{path.lstrip('/')}",
                                    timeout=timeout) as resp:
            return json.loads(resp.read().decode())
    except (urllib.error.URLError, OSError, ValueError):
        return None
