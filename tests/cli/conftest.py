"""Fixtures for the CLI tests: the CLI command (`examples` and `job_service` are in tests/conftest.py)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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
