"""Staging folders for write-then-rename commits, and the sweep of those left by dead runs.

Each staging folder names its owner (this host, the process id and the process's start time,
so a reused pid is not mistaken for it) in a hidden ``.owner`` file. A sweep removes the folders
whose owner on this host is no longer running: a run killed with -9 leaves nothing behind for
long, and a live run's folder is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sparkgrove.errors import AlreadyExistsError
from sparkgrove.processes import start_time

OWNER_FILE = ".owner"
KEEP = frozenset({"journal"})
"""Folders under the staging root that are not staging: pending publishes' journal."""
UNOWNED_AGE = 24 * 3600
"""Seconds after which a staging folder with no owner file is removed."""


def new_staging(root: Path, prefix: str) -> Path:
    """A new folder under ``root`` owned by this process."""
    folder = root / f"{prefix}-{uuid.uuid4().hex}"
    folder.mkdir(parents=True)
    owner = {"host": socket.gethostname(), "pid": os.getpid(),
             "start": start_time(os.getpid())}
    (folder / OWNER_FILE).write_text(json.dumps(owner))
    return folder


def release(folder: Path) -> None:
    """Drop the owner file before a folder is renamed into place."""
    (folder / OWNER_FILE).unlink(missing_ok=True)


def _owner_alive(owner: dict[str, object]) -> bool:
    if owner.get("host") != socket.gethostname():
        return True  # another host's run: not ours to judge
    pid = owner.get("pid")
    if not isinstance(pid, int):
        return False
    start = start_time(pid)
    recorded = owner.get("start")
    return start is not None and (not isinstance(recorded, float | int) or
                                  abs(float(recorded) - start) < 0.05)


def sweep(root: Path) -> list[Path]:
    """Remove staging folders under ``root`` whose owner has died; return them."""
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    pending = _journaled(root)
    for folder in root.iterdir():
        if not folder.is_dir() or folder.name in KEEP or str(folder) in pending:
            continue
        try:
            owner = json.loads((folder / OWNER_FILE).read_text())
            dead = not _owner_alive(owner if isinstance(owner, dict) else {})
        except FileNotFoundError:
            try:
                dead = time.time() - folder.stat().st_mtime > UNOWNED_AGE
            except OSError:
                continue
        except (OSError, ValueError):
            continue
        if dead:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _journaled(root: Path) -> set[str]:
    """Staging folders named by a pending publish's journal: the next run finishes them."""
    names: set[str] = set()
    for journal in (root / "journal").glob("publish-*.json"):
        try:
            names.update(str(p) for p in json.loads(journal.read_text()).get("staging", []))
        except (OSError, ValueError, AttributeError):
            continue
    return names


@contextmanager
def staged(root: Path, prefix: str) -> Iterator[Path]:
    """A new staging folder of this process for the block: what is written there appears in
    its final place whole (:func:`put_in_place`) or not at all, and a run killed meanwhile
    leaves a folder that :func:`sweep` removes."""
    folder = new_staging(root, prefix)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # gone already when it was put in place


def put_in_place(folder: Path, final: Path) -> None:
    """Rename a staged ``folder`` (or a folder inside one) to ``final``, which must not exist;
    both are under the workspace, so the rename is one atomic step."""
    if final.exists():
        raise AlreadyExistsError(f"{final} already exists; remove it or choose another name.")
    final.parent.mkdir(parents=True, exist_ok=True)
    release(folder)
    folder.rename(final)


def write_atomically(target: Path, data: bytes, *, what: str = "the file") -> Path:
    """Write ``data`` to ``target`` through a temporary file beside it and a rename, so a reader
    sees the old file or the whole new one; a folder or an unwritable place is one clear error."""
    from sparkgrove.errors import ConfigError

    if target.is_dir():
        raise ConfigError(f"Cannot write {what} to {target}: it is a folder; name a file in it.")
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"Cannot write {what} to {target}: {exc.strerror or exc}; choose a "
                          "file in a folder that exists and is writable.") from exc
    return target
