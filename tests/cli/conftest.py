"""Fixtures for the CLI tests: the examples folder, the CLI command, and a running job service."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


@pytest.fixture
def flowmetal() -> Callable[..., subprocess.CompletedProcess[str]]:
    """flowmetal(*argv, cwd=ROOT) runs the installed `flowmetal` command and captures its output."""
    exe = Path(sys.executable).with_name("flowmetal")

    def call(
        *argv: str, cwd: Path = ROOT, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(exe), *argv], cwd=cwd, capture_output=True, text=True, timeout=timeout
        )

    return call


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The service's first stdout line, or a failure if it does not come in time."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    if not lines or not lines[0].startswith("listening on "):
        proc.kill()
        raise AssertionError(f"job service did not start: {lines!r}")
    return lines[0]


@pytest.fixture
def job_service() -> Iterator[Callable[..., str]]:
    """start(callback="yes", delay=0.3, fail_first=0) -> base URL of a fresh job service."""
    procs: list[subprocess.Popen[str]] = []

    def start(callback: str = "yes", delay: float = 0.3, fail_first: int = 0) -> str:
        cmd = [sys.executable, str(EXAMPLES / "job_service.py"), "--port", "0"]
        cmd += ["--callback", callback, "--delay", str(delay), "--fail-first", str(fail_first)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        return _first_line(proc, 20).split()[-1]

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
