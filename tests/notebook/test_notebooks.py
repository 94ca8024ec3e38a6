"""Notebooks through a real kernel (nbclient), Zeppelin import, and JupyterLab on loopback."""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from sparkgrove.notebook.execute import parse_parameters, run_notebook
from sparkgrove.notebook.server import start_lab
from sparkgrove.notebook.zeppelin import import_note
from sparkgrove.settings import Settings
from sparkgrove.workspace import Workspace
from tests.helpers import classification_rows, write_csv


@pytest.fixture
def catalog_ws(settings: Settings, tmp_path: Path) -> Settings:
    write_csv(tmp_path / "raw" / "events" / "a.csv", ["x1", "x2", "color", "label"],
              classification_rows(200, seed=4))
    Workspace(settings).catalog.crawl(tmp_path / "raw" / "events", "nb")
    return settings


def test_sql_magic_chart_and_train_through_a_real_kernel(catalog_ws: Settings,
                                                         tmp_path: Path) -> None:
    notebook = v4.new_notebook(cells=[
        v4.new_code_cell("%tables nb"),
        v4.new_code_cell("%%sql --chart bar --x color --y n\n"
                         "SELECT color, count(*) AS n FROM nb.events GROUP BY color "
                         "ORDER BY color"),
        v4.new_code_cell("%train nb.events --label label --engine local --model nb_model"),
    ])
    path = tmp_path / "analysis.ipynb"
    nbformat.write(notebook, str(path))
    record = run_notebook(catalog_ws, path, {})
    assert record.state == "SUCCEEDED", record.error + "\n".join(record.traceback)
    executed = nbformat.read(record.executed, as_version=4)
    tables_html = executed.cells[0].outputs[0]["data"]["text/html"]
    assert "nb.events" in tables_html
    outputs = executed.cells[1].outputs
    assert any("image/png" in o.get("data", {}) for o in outputs), "a chart was drawn"
    table = next(o["data"]["text/plain"] for o in outputs
                 if "text/plain" in o.get("data", {}) and "color" in o["data"]["text/plain"])
    for colour in ("amber", "blue", "green", "red"):
        assert colour in table
    assert Workspace(catalog_ws).registry.get("nb_model").version == 1
    assert json.loads((Path(record.executed).parent / "run.json").read_text())["state"] == \
        "SUCCEEDED"


ZEPPELIN_NOTE = {
    "name": "Course lab 3",
    "paragraphs": [
        {"text": "%md\n# Events by colour"},
        {"text": "%pyspark\nthreshold = float(${min_x1=0.5})\nprint('threshold', threshold)"},
        {"text": "%sql\nSELECT count(*) AS n FROM nb.events WHERE color = '${colour=red,red|blue}'"},
        {"text": "%spark\nval x = sc.parallelize(1 to 10)"},
        {"text": "%pyspark\nassert colour in ('red', 'blue')\nprint('done', colour)"},
    ],
}


def test_zeppelin_note_converts_and_runs_headless_with_a_parameter(
        catalog_ws: Settings, tmp_path: Path) -> None:
    note = tmp_path / "lab3.zpln"
    note.write_text(json.dumps(ZEPPELIN_NOTE))
    target, conversion = import_note(note)
    assert conversion.parameters == {"min_x1": "0.5", "colour": "red"}
    assert any("%spark" in w for w in conversion.warnings)
    cells = nbformat.read(str(target), as_version=4).cells
    assert [c.cell_type for c in cells] == ["code", "code", "markdown", "code", "code", "raw",
                                            "code"]
    assert cells[0].source == "%zeppelin" and cells[1].metadata["tags"] == ["parameters"]
    assert cells[4].source.startswith("%%sql --format")
    record = run_notebook(catalog_ws, target, parse_parameters(["colour=blue", "min_x1=1"]))
    # The Scala paragraph cannot run here, so the run is not SUCCEEDED, and says why.
    assert record.state == "INCOMPLETE", record.error
    assert record.skipped == ["paragraph 4 (%spark)"] and record.cells_run == 3
    executed = nbformat.read(record.executed, as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code"
                      for o in c.outputs)
    assert "done blue" in printed and "threshold 1.0" in printed


def test_a_failing_cell_fails_the_run_and_names_the_cell(catalog_ws: Settings,
                                                         tmp_path: Path) -> None:
    path = tmp_path / "bad.ipynb"
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell("x = 1"),
                                          v4.new_code_cell("1 / 0")]), str(path))
    record = run_notebook(catalog_ws, path, {})
    assert record.state == "FAILED" and record.failed_cell == 1
    assert "ZeroDivisionError" in record.error and record.traceback


def test_jupyterlab_listens_on_loopback_and_needs_the_token(settings: Settings,
                                                            tmp_path: Path) -> None:
    from sparkgrove.processes import is_loopback, listening_addresses

    stale = settings.workspace / "notebook" / "token"  # left world-readable by someone
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text("old\n")
    stale.chmod(0o644)
    proc, url, token = start_lab(settings, root=tmp_path)
    try:
        with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=10) as resp:
            assert resp.status == 200
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{url}/api/status", timeout=10)
        assert refused.value.code == 403
        addresses = listening_addresses(proc.pid)
        assert addresses and all(is_loopback(a) for a in addresses)
        assert oct(os.stat(settings.workspace / "notebook" / "token").st_mode & 0o777) == "0o600"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_browser_runs_a_sql_cell_in_jupyterlab(catalog_ws: Settings, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert shutil.which("chromium"), "Debian's chromium is needed: `make test` installs it"
    nbformat.write(v4.new_notebook(
        cells=[v4.new_code_cell("%%sql\nSELECT color, count(*) AS n FROM nb.events "
                                "GROUP BY color ORDER BY color")],
        metadata={"kernelspec": {"name": "sparkgrove", "display_name": "sparkgrove (PySpark)",
                                 "language": "python"}}), str(tmp_path / "ui.ipynb"))
    proc, url, token = start_lab(catalog_ws, root=tmp_path)
    try:
        with sync_playwright() as play:
            browser = play.chromium.launch(
                executable_path=shutil.which("chromium"), headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--no-first-run"])
            page = browser.new_page()
            page.goto(f"{url}/lab/tree/ui.ipynb?token={token}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            page.wait_for_selector("text=sparkgrove (PySpark) | Idle", timeout=120_000)
            page.click(".jp-Notebook .jp-CodeCell .jp-InputArea-editor")
            page.keyboard.press("Shift+Enter")
            table = page.wait_for_selector(".jp-OutputArea-output table", timeout=120_000)
            assert table is not None
            text = table.inner_text()
            assert "amber" in text and "red" in text
            page.screenshot(path=str(tmp_path / "lab.png"))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_killed_notebook_command_takes_jupyterlab_with_it(settings: Settings,
                                                           tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    from sparkgrove.processes import free_port, process_alive

    port = free_port()
    cli = subprocess.Popen([sys.executable, "-m", "sparkgrove", "--workspace",
                            str(settings.workspace), "notebook", "--port", str(port), "--root",
                            str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lab_pid = None
    deadline = time.monotonic() + 90
    while lab_pid is None and time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    cmdline = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                if f"--ServerApp.port={port}".encode() in cmdline:
                    lab_pid = int(entry.name)
        time.sleep(0.2)
    assert lab_pid is not None, "JupyterLab started"
    cli.send_signal(signal.SIGKILL)
    cli.wait(timeout=10)
    deadline = time.monotonic() + 30
    while process_alive(lab_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not process_alive(lab_pid), "JupyterLab outlived the command that started it"
