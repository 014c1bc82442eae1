"""Fixtures for the VM tests: a differential runner against CPython."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from vm_differential import run_cpython, run_flowmetal


@pytest.fixture
def same_as_python() -> Callable[[str], Any]:
    """Assert that a snippet's main() gives the same result (or error) in Flowmetal and CPython."""

    def check(source: str) -> Any:
        expected = run_cpython(source)
        got = run_flowmetal(source)
        assert got == expected
        return got

    return check
