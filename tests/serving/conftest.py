"""A workspace with registered models, and real ``sparkgrove serve`` processes on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from sparkgrove.settings import Settings, load_settings
from sparkgrove.trees import GBTClassifier, GBTRegressor, RandomForestClassifier
from sparkgrove.trees.model import TreeModel
from sparkgrove.workspace import Workspace

ISLANDS = ["Biscoe", "Dream", "Torgersen"]


def penguin_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """Penguin-like rows: two measurements, an island, a sex with missing values."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"bill_length_mm": rng.normal(45, 5, n).round(1),
                          "flipper_length_mm": rng.normal(200, 10, n).round(0),
                          "island": rng.choice(ISLANDS, n),
                          "sex": rng.choice(["male", "female", None], n)})
    frame.loc[rng.random(n) < 0.05, "bill_length_mm"] = np.nan
    return frame


def species(frame: pd.DataFrame) -> np.ndarray:
    return np.where(frame.bill_length_mm.fillna(40) > 46, "Gentoo",
                    np.where(frame.island == "Dream", "Chinstrap", "Adelie"))


def register(ws: Workspace, name: str, model: TreeModel) -> int:
    version = ws.registry.register(name, engine="local", task=model.task, params={},
                                   metrics={"accuracy": 0.9}, lineage={"table": "demo.penguins",
                                                                       "table_version": 1},
                                   tree_model=model)
    return version.version


def forest(seed: int, n_trees: int = 10) -> TreeModel:
    frame = penguin_frame(600, seed)
    fitted = RandomForestClassifier(n_trees=n_trees, max_depth=5, seed=seed).fit(frame,
                                                                                 species(frame))
    model: TreeModel = fitted.tree_model_
    return model


@pytest.fixture(scope="module")
def serve_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A workspace holding: penguins v1, v2 (alias production -> 1), mass (GBT regression),
    adelie (GBT classification), broken (a damaged model file)."""
    root = tmp_path_factory.mktemp("serve")
    settings = load_settings(workspace=root / "ws", environ={}, cwd=root)
    ws = Workspace(settings)
    register(ws, "penguins", forest(1))
    register(ws, "penguins", forest(2))
    ws.registry.set_alias("penguins", "production", 1)
    frame = penguin_frame(600, 3)
    register(ws, "mass", GBTRegressor(max_iter=20, max_depth=3).fit(
        frame, frame.flipper_length_mm * 20 + (frame.island == "Dream") * 300).tree_model_)
    register(ws, "adelie", GBTClassifier(max_iter=15, max_depth=3).fit(
        frame, species(frame) == "Adelie").tree_model_)
    broken = ws.registry.get(f"broken:{register(ws, 'broken', forest(4))}")
    (Path(broken.artifact_path) / "tree_model.json").write_text('{"format": "sparkgrove.tree')
    ws.close()
    return settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A running ``sparkgrove serve`` process."""

    url: str
    token: str
    process: subprocess.Popen[bytes]
    settings: Settings

    def client(self, token: str | None = "") -> httpx.Client:
        """A client sending the server's token (``token=None``: none)."""
        headers = {} if token is None else {"Authorization": f"Bearer {token or self.token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def start_server(settings: Settings, *args: str) -> Server:
    """Start ``sparkgrove serve`` and wait until it answers."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "sparkgrove", "--workspace",
                             str(settings.workspace), "serve", "--port", str(port), *args],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise AssertionError("serve did not answer within 60 s")
    token = (settings.workspace / "serve" / "token").read_text().strip()
    return Server(url, token, proc, settings)


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="module")
def server(serve_settings: Settings) -> Iterator[Server]:
    """A server following penguins@production, mass, adelie and broken (newest versions)."""
    running = start_server(serve_settings, "penguins@production", "mass", "adelie", "broken",
                           "--poll-seconds", "0.1", "--max-rows", "5000", "--max-body-mb", "1")
    yield running
    stop_server(running)


def records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as JSON records (NaN as null)."""
    out: list[dict[str, object]] = json.loads(frame.to_json(orient="records"))
    return out
