"""A workspace filled by the demo (plus a binary model, an evolving table, a notebook run, a
10,000-partition table and a 10,001-node model), a cluster with a step, a real console process
and a real headless browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nbformat
import pytest
from nbformat import v4

from sparkgrove.cluster.manager import ClusterManager
from sparkgrove.cluster.spec import build_spec
from sparkgrove.cluster.steps import add_step
from sparkgrove.demo import run_demo
from sparkgrove.notebook.execute import run_notebook
from sparkgrove.processes import free_port
from sparkgrove.settings import Settings, load_settings
from sparkgrove.store.step_store import Step, StepStore
from sparkgrove.training import train_table
from sparkgrove.trees.params import TreeParams
from sparkgrove.workspace import Workspace
from tests.console.big import add_big_model, add_partitioned_table
from tests.helpers import write_csv

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
CLUSTER = "cc"
WAITING_STEP = """\
import pathlib, sys, time
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
print("sum", spark.range(0, 200000, numPartitions=4).selectExpr("sum(id)").collect())
marker = pathlib.Path(sys.argv[1])
deadline = time.time() + 180
while not marker.exists() and time.time() < deadline:
    time.sleep(0.3)
spark.stop()
"""
NOTEBOOK_CELLS = [
    v4.new_markdown_cell("# Penguin notes\n\nSee [the data](https://allisonhorst.github.io/"
                         "palmerpenguins/) and [a trap](javascript:alert(1)).\n\n"
                         "<script>window.pwnedByMarkdown = 1</script>"),
    v4.new_code_cell("print('bills measured:', 342)"),
    v4.new_code_cell("from IPython.display import HTML\n"
                     "HTML('<b>bold</b><script>window.pwnedByOutput = 1</script>')"),
    v4.new_code_cell("import matplotlib.pyplot as plt\nfrom IPython.display import display\n"
                     "fig, ax = plt.subplots(figsize=(3, 2))\nax.plot([1, 2, 3], [2, 1, 3])\n"
                     "display(fig)\nplt.close(fig)"),
]


@dataclass
class Filled:
    """What the workspace holds, for the tests to look for."""

    settings: Settings
    demo_model: str
    binary_model: str
    big_model: str
    big_table: str
    notebook_run: str
    waiting_step: Step
    marker: Path
    etl_run: int


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory, spark: object) -> Iterator[Filled]:
    root = tmp_path_factory.mktemp("console")
    settings = load_settings(workspace=root / "ws", environ={}, cwd=root)
    settings.ensure_dirs()
    ws = Workspace(settings)
    demo = run_demo(ws)
    assert demo.train is not None and demo.etl is not None
    for depth in (3, 5):  # two versions to compare; binary, so it has a ROC curve
        binary = train_table(ws, "demo.penguins_clean", label="sex", engine="local",
                             model_name="penguin_sex", params=TreeParams(max_depth=depth))
    ws.registry.set_alias("penguin_sex", "production", 1)
    # a table whose schema changes: version 2 adds a column
    write_csv(root / "evolving" / "a.csv", ["id", "score"], [[1, 0.5], [2, 0.7]])
    ws.catalog.crawl(root / "evolving", "lab", table="evolving")
    write_csv(root / "evolving" / "b.csv", ["id", "score", "Region"], [[3, 0.1, "north"]])
    ws.catalog.crawl(root / "evolving", "lab", table="evolving")
    big_table = add_partitioned_table(ws)
    big_model = add_big_model(ws)
    notebook = root / "notes.ipynb"
    nbformat.write(v4.new_notebook(cells=NOTEBOOK_CELLS), str(notebook))
    run = run_notebook(settings, notebook, {})
    manager = ClusterManager(settings, ws.catalog.database)
    manager.up(build_spec({"name": CLUSTER, "workers": 1, "cores": 1, "memory": "1g"}))
    script = root / "waiting_step.py"
    script.write_text(WAITING_STEP)
    marker = root / "release-step"
    step = add_step(StepStore(ws.catalog.database), CLUSTER, str(script), [str(marker)],
                    name="waits", action_on_failure="CONTINUE",
                    log_dir=manager.folder(CLUSTER) / "steps")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield Filled(settings, demo.train.model_version.ref, binary.model_version.name,
                     big_model, big_table, Path(run.executed).parent.name, step, marker,
                     demo.etl.id)
    finally:
        marker.touch()
        if manager.get(CLUSTER).state == "RUNNING":
            manager.down(CLUSTER)
        ws.close()


@dataclass
class Console:
    """A running ``sparkgrove console``."""

    url: str
    token: str
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def console(filled: Filled) -> Iterator[Console]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sparkgrove", "--workspace",
                             str(filled.settings.workspace), "console", "--port", str(port)],
                            env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode() if proc.stderr else "exited")
        try:
            if httpx.get(url + "/", timeout=1).status_code == 401:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the console did not answer within 60 s")
        time.sleep(0.1)
    token = (filled.settings.workspace / "console" / "token").read_text().strip()
    yield Console(url, token, proc)
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert shutil.which("chromium"), "Debian's chromium is needed: `make test` installs it"
    with sync_playwright() as play:
        launched = play.chromium.launch(
            executable_path=shutil.which("chromium"), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, console: Console) -> Iterator[Any]:
    """A browser tab signed in to the console (through the token URL, as a user is)."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    tab = context.new_page()
    tab.goto(f"{console.url}/?token={console.token}")
    yield tab
    context.close()
