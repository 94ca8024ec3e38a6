"""Console pages at scale: a table with 10,000 partitions and a model whose tree has 10,001
nodes, against the issue's floor of one second per page.

A real ``sparkgrove console`` process serves a workspace holding both (built as the console
tests build them, tests/console/big.py). Per round, alternating the pages:

* the server's answer, over HTTP (request sent to last byte received);
* the page in headless chromium: navigation to the ``load`` event, so the browser has parsed
  the HTML and laid out the SVG (tree pages are drawn whole with ``depth=all``).

Printed: medians over rounds, and the ratio of each median to the one-second floor.

Run: ``.venv/bin/python bench/console.py [--rounds 7]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.console.big import add_big_model, add_partitioned_table

from sparkgrove.processes import free_port
from sparkgrove.settings import load_settings
from sparkgrove.workspace import Workspace

FLOOR_SECONDS = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="sparkgrove-bench-console-"))
    settings = load_settings(workspace=root / "ws", environ={}, cwd=root)
    settings.ensure_dirs()
    ws = Workspace(settings)
    table = add_partitioned_table(ws)
    name, version = add_big_model(ws).split(":")
    ws.close()
    database, table_name = table.split(".")
    pages = {
        "partitions, page 1": f"/catalog/{database}/{table_name}",
        "partitions, page 100": f"/catalog/{database}/{table_name}?page=100",
        "10,001-node tree, whole": f"/models/{name}/{version}?depth=all",
        "10,001-node tree, default": f"/models/{name}/{version}",
    }
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sparkgrove", "--workspace",
                             str(settings.workspace), "console", "--port", str(port)],
                            env={**os.environ}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(url + "/", timeout=1).status_code == 401:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        token = (settings.workspace / "console" / "token").read_text().strip()
        run(url, token, pages, args.rounds)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def run(url: str, token: str, pages: dict[str, str], rounds: int) -> None:
    from playwright.sync_api import sync_playwright

    http_times: dict[str, list[float]] = {k: [] for k in pages}
    browser_times: dict[str, list[float]] = {k: [] for k in pages}
    sizes: dict[str, int] = {}
    client = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                       args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(f"{url}/?token={token}")
        for path in pages.values():  # warm: templates compiled, model loaded once
            client.get(url + path)
        for r in range(rounds):
            order = list(pages.items()) if r % 2 == 0 else list(reversed(pages.items()))
            for label, path in order:
                start = time.perf_counter()
                answer = client.get(url + path)
                http_times[label].append(time.perf_counter() - start)
                assert answer.status_code == 200, (path, answer.status_code)
                sizes[label] = len(answer.content)
                start = time.perf_counter()
                page.goto(url + path, wait_until="load")
                browser_times[label].append(time.perf_counter() - start)
        browser.close()
    print(f"{'page':28} {'bytes':>10} {'HTTP median':>12} {'browser median':>15} "
          f"{'browser / 1 s':>14}")
    for label in pages:
        h = statistics.median(http_times[label])
        b = statistics.median(browser_times[label])
        print(f"{label:28} {sizes[label]:>10,} {h * 1000:>10.0f}ms {b * 1000:>13.0f}ms "
              f"{b / FLOOR_SECONDS:>13.2f}x")


if __name__ == "__main__":
    main()
