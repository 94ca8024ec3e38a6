import os
import stat
from pathlib import Path

import pytest

from sparkgrove.errors import EnvironmentProblem
from sparkgrove.java import check_java, parse_java_major


@pytest.mark.parametrize(("text", "major"), [
    ('openjdk version "17.0.15" 2025-04-15', 17),
    ('java version "1.8.0_292"', 8),
    ('openjdk version "21" 2023-09-19', 21),
    ("nonsense", None),
])
def test_parse_java_major(text: str, major: int | None) -> None:
    assert parse_java_major(text) == major


def test_the_machines_java_is_accepted() -> None:
    assert check_java() >= 17


def _fake_java(home: Path, version: str) -> Path:
    exe = home / "bin" / "java"
    exe.parent.mkdir(parents=True)
    exe.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2020-01-01' >&2\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


def test_old_java_is_refused_with_what_to_install(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_java(tmp_path, "11.0.2")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(EnvironmentProblem, match=r"Java 11 found.*needs Java 17\+.*install"):
        check_java()


def test_missing_java_is_one_clear_message(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EnvironmentProblem, match="Java was not found.*openjdk-17") as info:
        check_java()
    assert "\n" not in str(info.value)
    assert os.environ["PATH"] == str(tmp_path)
