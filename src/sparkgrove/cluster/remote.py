"""Hosts reached over SSH (the system's ``ssh`` client): run a command, start a daemon detached,
check it, stop it, and copy a private file through standard input (never a command line).

Host keys are learned on first contact into the cluster's own ``known_hosts`` and checked after
(``StrictHostKeyChecking=accept-new``); ``BatchMode`` makes a missing key or password prompt a
clear failure instead of a hang.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sparkgrove.errors import EnvironmentProblem

CONNECT_TIMEOUT = 8


@dataclass(frozen=True)
class Ran:
    """A finished remote command."""

    code: int
    out: str
    err: str


@dataclass(frozen=True)
class SshHost:
    """One host, and how to reach it."""

    address: str
    user: str | None
    key: str | None
    port: int
    known_hosts: Path

    @property
    def target(self) -> str:
        """``user@host`` (or the host alone)."""
        return f"{self.user}@{self.address}" if self.user else self.address

    def _argv(self, command: str) -> list[str]:
        ssh = shutil.which("ssh")
        if ssh is None:
            raise EnvironmentProblem("A cluster of several hosts is reached with the system's "
                                     "ssh client, which is not installed: install openssh-client.")
        argv = [ssh, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new",
                "-o", f"UserKnownHostsFile={self.known_hosts}", "-o",
                f"ConnectTimeout={CONNECT_TIMEOUT}", "-o", "LogLevel=ERROR", "-p", str(self.port)]
        if self.key:
            argv += ["-i", self.key, "-o", "IdentitiesOnly=yes"]
        return [*argv, self.target, command]

    def run(self, command: str, *, stdin: str | None = None, timeout: float = 60) -> Ran:
        """Run a shell command on the host."""
        self.known_hosts.parent.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run(self._argv(command), input=stdin, capture_output=True,
                                  text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return Ran(255, "", f"no answer within {timeout:.0f}s")
        return Ran(done.returncode, done.stdout, done.stderr.strip())

    def check(self, command: str, what: str, *, stdin: str | None = None,
              timeout: float = 60) -> str:
        """Run ``command``; a failure raises, naming the host and ``what`` it was doing."""
        ran = self.run(command, stdin=stdin, timeout=timeout)
        if ran.code != 0:
            raise EnvironmentProblem(f"On host {self.address}, {what} failed (exit {ran.code}): "
                                     f"{ran.err or ran.out.strip() or 'no output'}")
        return ran.out

    def write_private(self, path: Path, text: str) -> None:
        """Write ``text`` to ``path`` on the host, readable by its owner alone; the text goes
        through ssh's standard input."""
        quoted = shlex.quote(str(path))
        self.check(f"umask 077 && mkdir -p {shlex.quote(str(path.parent))} && cat > {quoted} "
                   f"&& chmod 600 {quoted}", f"writing {path}", stdin=text)

    def start(self, argv: Sequence[str], log: Path, env: Mapping[str, str], cwd: Path) -> int:
        """Start ``argv`` detached on the host (a session of its own, output to ``log``);
        return its pid."""
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # the background job is the daemon alone, its output in the log: nothing holds the
        # SSH channel open once the shell has echoed the pid
        command = (f"mkdir -p {shlex.quote(str(log.parent))} {shlex.quote(str(cwd))} && "
                   f"cd {shlex.quote(str(cwd))} || exit 1; env {assignments} setsid "
                   f"{' '.join(shlex.quote(a) for a in argv)} >> {shlex.quote(str(log))} 2>&1 "
                   f"< /dev/null & echo $!")
        out = self.check(command, f"starting {Path(argv[0]).name}")
        try:
            return int(out.strip().splitlines()[-1])
        except (ValueError, IndexError) as exc:
            raise EnvironmentProblem(f"On host {self.address}, starting {argv[0]} gave no "
                                     f"process id: {out!r}") from exc

    def alive(self, pid: int, marker: str | None = None) -> bool:
        """Whether process ``pid`` runs on the host (and mentions ``marker``)."""
        ran = self.run(f"ps -o args= -p {int(pid)}", timeout=20)
        return ran.code == 0 and bool(ran.out.strip()) and (marker is None or marker in ran.out)

    def stop(self, pid: int, marker: str | None = None, timeout: float = 20) -> bool:
        """Stop process ``pid`` and its process group (TERM, then KILL); whether it ran."""
        if not self.alive(pid, marker):
            return False
        tries = max(1, int(timeout / 0.2))
        self.run(f"kill -TERM -- -{int(pid)} 2>/dev/null || kill -TERM {int(pid)}; "
                 f"for i in $(seq {tries}); do kill -0 {int(pid)} 2>/dev/null || exit 0; "
                 f"sleep 0.2; done; kill -KILL -- -{int(pid)} 2>/dev/null; kill -KILL {int(pid)}",
                 timeout=timeout + 20)
        return True
