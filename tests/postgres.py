"""A real PostgreSQL server for the tests: Debian's package, started in a temporary folder on a
loopback port, one fresh database per test. ``make test`` installs the package where missing."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psutil


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


OWNER_FILE = "owner.pid"
"""The pid of the test run that started a server (in the server's folder)."""


class PostgresServer:
    """``initdb`` + ``pg_ctl start`` in ``folder``; as the ``postgres`` user when run as root
    (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        bin_dir = _bin_dir()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL is not installed: `make test` installs Debian's "
                               "postgresql package (apt-get install postgresql).")
        self.bin = bin_dir
        # Its own folder under /tmp: the postgres user cannot enter pytest's (0700, root's).
        self.folder = Path(tempfile.mkdtemp(prefix="sparkgrove-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.user = "sparkgrove"
        # As root, the server's commands run as the postgres user: subprocess switches user
        # itself, so no runuser/su is needed on the PATH.
        self._as: dict[str, Any] = ({"user": "postgres", "group": "postgres",
                                     "extra_groups": []} if os.geteuid() == 0 else {})

    def _run(self, *args: str) -> None:
        done = subprocess.run(list(args), capture_output=True, text=True, timeout=120,
                              check=False, cwd=self.folder, **self._as)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        self.sweep()
        (self.folder / OWNER_FILE).write_text(str(os.getpid()))
        if self._as:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user,
                  "-A", "trust", "--no-sync", "-E", "UTF8")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.folder / "server.log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        subprocess.run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                        "stop"], capture_output=True, timeout=60, check=False, cwd=self.folder,
                       **self._as)
        shutil.rmtree(self.folder, ignore_errors=True)

    def sweep(self) -> list[Path]:
        """Stop and remove the servers of test runs that were killed (their pytest is gone):
        a run stopped with kill -9 cannot tear its server down itself."""
        removed = []
        for folder in Path(tempfile.gettempdir()).glob("sparkgrove-pg-*"):
            if folder == self.folder:
                continue
            try:
                owner = int((folder / OWNER_FILE).read_text())
            except (OSError, ValueError):
                continue  # not one of ours, or still starting
            if psutil.pid_exists(owner):
                continue
            subprocess.run([str(self.bin / "pg_ctl"), "-D", str(folder / "data"), "-m",
                            "immediate", "stop"], capture_output=True, timeout=60, check=False,
                           cwd=folder, **self._as)
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        return removed

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """Create an empty database; return its SQLAlchemy URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        for attempt in range(50):
            try:
                with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} "
                                     "dbname=postgres", autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')  # a generated name
                break
            except psycopg.OperationalError:
                if attempt == 49:
                    raise
                time.sleep(0.1)
        return self.url(name)
