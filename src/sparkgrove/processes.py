"""Starting, watching and stopping child processes, for the cluster's daemons, steps, ETL runs
and the notebook server alike (process inspection through psutil).

Processes are started each in a session of its own (so a stop reaches its children, such as
Spark's executors), with their output in a log file, bound to loopback unless told otherwise.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import psutil

LOOPBACK = "127.0.0.1"


@contextlib.contextmanager
def children_environment(values: Mapping[str, str]) -> Iterator[None]:
    """``values`` in this process's environment while it starts children that read them (PySpark's
    JVM launcher, uvicorn's worker processes), then as before: the one place sparkgrove writes its
    own environment."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def free_port() -> int:
    """A TCP port on loopback that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def start_process(argv: Sequence[str], log_path: Path, env: Mapping[str, str],
                  cwd: Path | None = None) -> int:
    """Start ``argv`` in its own session with output to ``log_path``; return its pid."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        proc = subprocess.Popen(list(argv), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=dict(env), cwd=cwd,
                                start_new_session=True)
    return proc.pid


def _command_line(proc: psutil.Process) -> str:
    return " ".join(proc.cmdline())


def processes_mentioning(text: str, *, spark_only: bool = True) -> list[int]:
    """Live processes of this user whose command line contains ``text`` (a cluster's folder),
    Spark's JVMs only unless told otherwise."""
    found: list[int] = []
    me, uid = os.getpid(), os.getuid()
    for proc in psutil.process_iter():
        try:
            if proc.pid == me or proc.uids().real != uid or \
                    proc.status() == psutil.STATUS_ZOMBIE:
                continue
            line = _command_line(proc)
        except (psutil.Error, OSError):
            continue
        if text in line and (not spark_only or "org.apache.spark" in line):
            found.append(proc.pid)
    return sorted(found)


def process_alive(pid: int, marker: str | None = None) -> bool:
    """Whether ``pid`` runs (and its command line holds ``marker``, against pid reuse)."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:  # a zombie has exited
            return False
        return marker is None or marker in _command_line(proc)
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return marker is None  # another user's process: alive, but not ours to name


def start_time(pid: int) -> float | None:
    """When ``pid`` started (seconds since the epoch), to tell it from a later reuse of its
    number; ``None`` when no such process runs."""
    try:
        return round(psutil.Process(pid).create_time(), 2)
    except psutil.Error:
        return None


def stop_process(pid: int, marker: str | None = None, timeout: float = 20.0) -> bool:
    """Stop the process group of ``pid`` (TERM, then KILL); return whether it was running."""
    if not process_alive(pid, marker):
        return False
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            if not process_alive(pid):
                return True
            time.sleep(0.1)
    return True


def log_tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file."""
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


def listening_addresses(pid: int) -> list[str]:
    """``host:port`` of every TCP socket ``pid`` listens on (IPv6 hosts in brackets)."""
    try:
        connections = psutil.Process(pid).net_connections(kind="inet")
    except psutil.Error:
        return []
    return [f"[{c.laddr.ip}]:{c.laddr.port}" if ":" in c.laddr.ip else
            f"{c.laddr.ip}:{c.laddr.port}"
            for c in connections if c.status == psutil.CONN_LISTEN]


def is_loopback(address: str) -> bool:
    """Whether a ``host:port`` from :func:`listening_addresses` is on loopback."""
    host = address.rsplit(":", 1)[0].strip("[]")
    return host.startswith("127.") or host in ("::1", "::ffff:127.0.0.1") or \
        host.startswith("::ffff:127.")


def port_open(port: int) -> bool:
    """Whether something accepts connections on loopback ``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((LOOPBACK, port)) == 0
