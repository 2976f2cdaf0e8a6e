"""Shared by the bad-input corpus (tests/test_hostile_*.py): run a command in-process and check the
contract every bad input must keep: the exit code, a located message, no traceback, nothing that
reached the crash handler, and outputs that existed left byte-identical."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def no_crash(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Fails the test if a command reaches the crash handler: every bad input must be an expected error.
    Crash logs, if any, go to a temporary data folder, never the user's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))
    crashes: list[str] = []

    def record(command: str, exc: BaseException) -> None:
        crashes.append(f"{command}: {type(exc).__name__}: {exc}")

    monkeypatch.setattr(sys.modules["annotate.cli.app"], "write_crash_log", record)
    yield crashes
    assert crashes == [], "bad input reached the crash handler"


def run(*args: str, input: bytes | str | None = None, code: int, says: str | list[str] = ()) -> object:
    """Invoke `annotate ARGS` in-process; assert the exit code, that stderr holds each of `says`,
    and that no traceback or crash line was printed."""
    result = runner.invoke(app, [str(a) for a in args], input=input)
    output = result.stdout + result.stderr
    assert result.exit_code == code, f"exit {result.exit_code}, expected {code}\n{output}\n{result.exception!r}"
    assert "Traceback" not in output and "failed unexpectedly" not in output, output
    for fragment in [says] if isinstance(says, str) else says:
        assert fragment in result.stderr, f"{fragment!r} not in stderr:\n{result.stderr}"
    return result


def fingerprint(*paths: Path) -> dict[str, str | None]:
    """sha256 of each file (None when absent), and of every file under each folder."""
    found: dict[str, str | None] = {}
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            found[str(file)] = hashlib.sha256(file.read_bytes()).hexdigest() if file.exists() else None
    return found
