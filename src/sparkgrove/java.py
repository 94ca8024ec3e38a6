"""Finding Java 17+ before Spark is started, with a one-line message when it is missing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from sparkgrove.errors import EnvironmentProblem

MIN_JAVA = 17
INSTALL_HINT = (
    "install a Java 17+ runtime (for example `apt-get install openjdk-17-jre-headless`, or "
    "Temurin 17/21 from adoptium.net) and put `java` on PATH or set JAVA_HOME"
)


def java_executable() -> Path | None:
    """The ``java`` that Spark would start: JAVA_HOME's first, then PATH's."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        if candidate.exists():
            return candidate
    found = shutil.which("java")
    return Path(found) if found else None


def parse_java_major(version_output: str) -> int | None:
    """Read the major version from ``java -version`` output ("1.8.0_292" is 8, "17.0.15" is 17)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):
        major = int(match.group(2))
    return major


def check_java(minimum: int = MIN_JAVA) -> int:
    """Return the Java major version, or raise :class:`EnvironmentProblem` saying what to install."""
    exe = java_executable()
    if exe is None:
        raise EnvironmentProblem(f"Java was not found; Spark needs Java {minimum}+: {INSTALL_HINT}.")
    try:
        done = subprocess.run(
            [str(exe), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EnvironmentProblem(f"Could not run {exe} -version ({exc}): {INSTALL_HINT}.") from exc
    major = parse_java_major(done.stderr + done.stdout)
    if major is None:
        raise EnvironmentProblem(f"Could not read the version of {exe}: {INSTALL_HINT}.")
    if major < minimum:
        raise EnvironmentProblem(
            f"Java {major} found at {exe}, but Spark 4 needs Java {minimum}+: {INSTALL_HINT}."
        )
    return major


def main() -> None:
    """``python -m sparkgrove.java``: exit non-zero with one line when Java is missing."""
    try:
        major = check_java()
    except EnvironmentProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    print(f"Java {major} found.")


if __name__ == "__main__":
    main()
