"""Small generated datasets for tests."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def write_csv(path: Path, header: list[str] | None, rows: list[list[Any]], delimiter: str = ","
              ) -> Path:
    """Write rows (``None`` as ``NA``) to a CSV file, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        if header:
            writer.writerow(header)
        for row in rows:
            writer.writerow(["NA" if v is None else v for v in row])
    return path


def classification_rows(n: int, seed: int = 0, classes: int = 2, missing: float = 0.0
                        ) -> list[list[Any]]:
    """Rows of (x1 double, x2 int, color string, label string) with a learnable rule."""
    rng = np.random.default_rng(seed)
    colors = ["red", "green", "blue", "amber"]
    rows = []
    for _ in range(n):
        x1 = round(float(rng.normal()), 3)
        x2 = int(rng.integers(0, 50))
        color = colors[int(rng.integers(0, len(colors)))]
        score = x1 + (0.8 if color in ("red", "blue") else -0.5) + x2 / 50
        if classes == 2:
            label = "yes" if score + rng.normal(scale=0.3) > 0.5 else "no"
        else:
            label = ["a", "b", "c"][min(2, max(0, int((score + 1.5) // 1.2)))]
        row: list[Any] = [x1, x2, color, label]
        if missing and rng.random() < missing:
            row[int(rng.integers(0, 3))] = None
        rows.append(row)
    return rows


def regression_rows(n: int, seed: int = 0) -> list[list[Any]]:
    """Rows of (x1 double, x2 int, color string, y double)."""
    rng = np.random.default_rng(seed)
    colors = ["red", "green", "blue"]
    rows = []
    for _ in range(n):
        x1 = round(float(rng.uniform(-2, 2)), 3)
        x2 = int(rng.integers(0, 20))
        color = colors[int(rng.integers(0, 3))]
        y = round(3 * x1 + (2.0 if color == "red" else 0.0) + 0.1 * x2 + rng.normal(scale=0.2), 4)
        rows.append([x1, x2, color, y])
    return rows


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``check`` until it returns something true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
