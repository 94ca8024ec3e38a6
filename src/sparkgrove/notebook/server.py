"""JupyterLab on 127.0.0.1 with token authentication, attached to the workspace."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from sparkgrove.errors import EnvironmentProblem
from sparkgrove.notebook.execute import kernel_environment
from sparkgrove.notebook.kernel import install_kernel
from sparkgrove.processes import free_port
from sparkgrove.settings import Settings


def token_file(settings: Settings) -> Path:
    """Where the server's token is kept (readable by the owner alone)."""
    return settings.workspace / "notebook" / "token"


def start_lab(settings: Settings, *, root: Path, port: int | None = None,
              timeout: float = 60.0) -> tuple[subprocess.Popen[bytes], str, str]:
    """Start JupyterLab; return the process, its URL and its token once it answers."""
    install_kernel()
    port = port or free_port()
    token = secrets.token_urlsafe(24)
    path = token_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    os.chmod(path, 0o600)  # O_CREAT's mode does not narrow a file that already existed
    env = {**os.environ, **kernel_environment(settings), "JUPYTER_TOKEN": token,
           "JUPYTER_RUNTIME_DIR": str(settings.workspace / "notebook" / "runtime")}
    extra = ["--ServerApp.allow_root=True"] if os.geteuid() == 0 else []
    log = settings.logs / "jupyterlab.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
             f"--ServerApp.root_dir={root}", "--ServerApp.allow_remote_access=False",
             "--ServerApp.terminals_enabled=False", "--LabApp.extension_manager=readonly",
             "--LabApp.news_url=", *extra],
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
            preexec_fn=die_with_parent)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EnvironmentProblem(f"JupyterLab exited (code {proc.returncode}); see {log}.")
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                return proc, url, token
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    proc.kill()
    raise EnvironmentProblem(f"JupyterLab did not answer within {timeout:.0f}s; see {log}.")


def die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the parent dies, so that a
    `sparkgrove notebook` killed with -9 takes JupyterLab with it."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def supervise(proc: subprocess.Popen[bytes], *, stop_timeout: float = 20.0) -> int:
    """Wait for the server; Ctrl-C or a TERM of this process stops it (and waits for it).
    Returns the server's exit code."""
    import signal

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            return proc.wait(timeout=stop_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
