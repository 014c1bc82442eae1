"""Fixtures for the VM tests: a differential runner against CPython."""

from __future__ import annotations

from typing import Any

import pytest

from flowmetal.vm import ProgramFailed, run_value
from flowmetal.vm.exceptions import exc_str


def _normalise(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return value


def run_cpython(source: str) -> tuple[Any, ...]:
    namespace: dict[str, Any] = {"__name__": "snippet"}
    exec(compile(source, "<snippet>", "exec"), namespace)  # trusted test source, not user input
    try:
        return ("ok", _normalise(namespace["main"]()))
    except Exception as exc:
        return ("raise", type(exc).__name__, str(exc))


def run_flowmetal(source: str) -> tuple[Any, ...]:
    try:
        return ("ok", _normalise(run_value(source, "<snippet>")))
    except ProgramFailed as failed:
        return ("raise", failed.exc.type.name, exc_str(failed.exc))


@pytest.fixture
def same_as_python():
    """Assert that a snippet's main() gives the same result (or error) in Flowmetal and CPython."""

    def check(source: str) -> Any:
        expected = run_cpython(source)
        got = run_flowmetal(source)
        assert got == expected
        return got

    return check
