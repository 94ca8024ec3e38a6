"""Headless notebook runs with parameters (papermill-style), through a real kernel (nbclient).

Parameters go into a cell inserted after the one tagged ``parameters``. The executed copy and a
``run.json`` record are saved in ``<workspace>/notebooks/runs/<run>/``. A failing cell fails
the run; the record names the cell and keeps its traceback. Only a run that executed every code
cell, and skipped no paragraph of a converted Zeppelin note, is ``SUCCEEDED``; one that ran no
code, or skipped paragraphs (Scala, ``%jdbc``, ...), is ``INCOMPLETE`` and says which.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparkgrove.errors import ConfigError, NotFoundError
from sparkgrove.jsonable import to_jsonable
from sparkgrove.notebook.kernel import KERNEL_NAME, install_kernel
from sparkgrove.settings import Settings
from sparkgrove.store.states import RunState

ANSI = re.compile(r"\x1b\[[0-9;]*m")
DEFAULT_CELL_TIMEOUT = 600


@dataclass
class NotebookRun:
    """A headless run's record."""

    notebook: str
    executed: str
    state: RunState
    parameters: dict[str, Any]
    started_at: str
    ended_at: str
    failed_cell: int | None = None
    error: str = ""
    traceback: list[str] = field(default_factory=list)
    code_cells: int = 0
    cells_run: int = 0
    skipped: list[str] = field(default_factory=list)

def parse_parameters(items: list[str]) -> dict[str, Any]:
    """``key=value`` pairs; values that read as JSON numbers or booleans are typed."""
    values: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.isidentifier():
            raise ConfigError(f"A parameter must be NAME=VALUE with a Python name; got {item!r}.")
        try:
            parsed = json.loads(raw)
            values[key] = parsed if isinstance(parsed, int | float | bool) else raw
        except json.JSONDecodeError:
            values[key] = raw
    return values


def check_forms(notebook: Any, parameters: Mapping[str, Any]) -> None:
    """Refuse a value outside the options of a select or checkbox form (Zeppelin notes)."""
    forms = notebook.metadata.get("sparkgrove", {}).get("forms", {})
    for name, value in parameters.items():
        form = forms.get(name)
        if not form or form.get("type") not in ("select", "checkbox") or not form.get("options"):
            continue
        options = [str(o) for o in form["options"]]
        chosen = ([v.strip() for v in str(value).split(form.get("delimiter") or ",")]
                  if form["type"] == "checkbox" else [str(value)])
        outside = [c for c in chosen if c not in options]
        if outside:
            raise ConfigError(f"The parameter {name} is a {form['type']} form of the note; "
                              f"{', '.join(map(repr, outside))} is not one of its options: "
                              f"{', '.join(options)}.")


def inject_parameters(notebook: Any, parameters: Mapping[str, Any]) -> None:
    """Insert a cell setting ``parameters`` after the cell tagged ``parameters``."""
    from nbformat import v4

    if not parameters:
        return
    index = next((i for i, c in enumerate(notebook.cells)
                  if "parameters" in c.get("metadata", {}).get("tags", [])), -1)
    source = "# Parameters given to this run\n" + "\n".join(
        f"{k} = {v!r}" for k, v in parameters.items())
    cell = v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    notebook.cells.insert(index + 1, cell)


def kernel_environment(settings: Settings) -> dict[str, str]:
    """What the kernel needs to open this workspace (and its cluster)."""
    env = {"SPARKGROVE_WORKSPACE": str(settings.workspace),
           "SPARKGROVE_CATALOG_URL": settings.catalog_url,
           "SPARKGROVE_SPARK_MASTER": settings.spark_master}
    if settings.cluster:
        env["SPARKGROVE_CLUSTER"] = settings.cluster
    return env


def run_notebook(settings: Settings, path: str | Path, parameters: Mapping[str, Any],
                 *, timeout: int = DEFAULT_CELL_TIMEOUT) -> NotebookRun:
    """Execute a notebook with ``parameters`` on the sparkgrove kernel."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    source = Path(path).resolve()
    if not source.is_file():
        raise NotFoundError(f"The notebook {source} does not exist.")
    notebook = nbformat.read(str(source), as_version=4)
    check_forms(notebook, parameters)
    inject_parameters(notebook, parameters)
    install_kernel()
    started = dt.datetime.now(dt.UTC)
    folder = settings.workspace / "notebooks" / "runs" / (
        started.strftime("%Y%m%dT%H%M%S%fZ") + "-" + source.stem)
    folder.mkdir(parents=True, exist_ok=True)
    executed = folder / source.name
    state, failed, error, trace = RunState.SUCCEEDED, None, "", []
    client = NotebookClient(notebook, kernel_name=KERNEL_NAME, timeout=timeout,
                            resources={"metadata": {"path": str(source.parent)}})
    # The kernel gets the workspace in its own environment; this process's stays as it is.
    try:
        client.execute(env={**os.environ, **kernel_environment(settings)})
    except CellExecutionError as exc:
        state = RunState.FAILED
        error = str(exc).strip().splitlines()[-1] if str(exc).strip() else "cell failed"
        for index, cell in enumerate(notebook.cells):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    failed = index
                    error = f"{output['ename']}: {output['evalue']}"
                    trace = [ANSI.sub("", line) for line in output.get("traceback", [])]
    nbformat.write(notebook, str(executed))
    setup = {"zeppelin-setup", "parameters", "injected-parameters"}
    code = [c for c in notebook.cells if c.cell_type == "code"
            and not setup & set(c.metadata.get("tags", []))]
    ran = sum(1 for c in code if c.get("execution_count") is not None)
    skipped = [_describe(c) for c in notebook.cells
               if c.cell_type == "raw" and "zeppelin-skipped" in c.metadata.get("tags", [])]
    if state == RunState.SUCCEEDED and (not code or skipped):
        state = RunState.INCOMPLETE
        error = ("no code cell ran" if not code else
                 f"{len(skipped)} paragraph(s) were not run: {', '.join(skipped)}")
    record = NotebookRun(str(source), str(executed), state, dict(parameters),
                         started.isoformat(), dt.datetime.now(dt.UTC).isoformat(), failed,
                         error, trace, len(code), ran, skipped)
    (folder / "run.json").write_text(json.dumps(to_jsonable(record), indent=2))
    return record


def _describe(cell: Any) -> str:
    info = cell.metadata.get("zeppelin", {})
    return f"paragraph {info.get('paragraph', '?')} (%{info.get('interpreter', '?')})"


RUN_NAME = re.compile(r"^[0-9]{8}T[0-9]{12}Z-[A-Za-z0-9._-]{1,200}$")


def runs_folder(settings: Settings) -> Path:
    """Where headless runs keep their executed copies and records."""
    return settings.workspace / "notebooks" / "runs"


@dataclass(frozen=True)
class RecordedRun:
    """A headless run found in the workspace: its folder's name and its record."""

    name: str
    record: dict[str, Any]


def list_notebook_runs(settings: Settings) -> list[RecordedRun]:
    """Headless runs, newest first (a folder whose record is unreadable is listed as such)."""
    folder = runs_folder(settings)
    if not folder.is_dir():
        return []
    found = []
    for child in sorted(folder.iterdir(), reverse=True):
        if child.is_dir() and RUN_NAME.match(child.name):
            found.append(_recorded(child))
    return found


def get_notebook_run(settings: Settings, name: str) -> RecordedRun:
    """One headless run by its folder's name (checked: no paths)."""
    folder = runs_folder(settings) / name
    if not RUN_NAME.match(name) or not folder.is_dir():
        raise NotFoundError(f"No notebook run {name!r}; `sparkgrove notebook run` lists runs in "
                            f"{runs_folder(settings)}.")
    return _recorded(folder)


def _recorded(folder: Path) -> RecordedRun:
    try:
        record = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        if not isinstance(record, dict):
            raise ValueError("not an object")
    except (OSError, ValueError) as exc:
        record = {"state": "UNKNOWN", "error": f"run.json is unreadable: {exc}"}
    return RecordedRun(folder.name, record)


def executed_notebook(settings: Settings, run: RecordedRun) -> Any | None:
    """The executed copy of ``run`` (an nbformat node), when it is inside the run's folder."""
    import nbformat

    folder = (runs_folder(settings) / run.name).resolve()
    executed = Path(str(run.record.get("executed", ""))).resolve()
    if executed.parent != folder or not executed.is_file():
        return None
    try:
        return nbformat.read(str(executed), as_version=4)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"The executed notebook {executed} is unreadable: {exc}.") from exc
