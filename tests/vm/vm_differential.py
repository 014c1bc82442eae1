"""Run a snippet's main() in CPython and in Flowmetal, in comparable form."""

from __future__ import annotations

from typing import Any

from flowmetal.vm import ProgramFailed, run_value
from flowmetal.vm.exceptions import exc_str


def _normalise(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return value


def run_cpython(source: str) -> tuple[Any, ...]:
    """("ok", result) or ("raise", type name, message) from CPython."""
    namespace: dict[str, Any] = {"__name__": "snippet"}
    exec(compile(source, "<snippet>", "exec"), namespace)  # trusted test source, not user input
    try:
        return ("ok", _normalise(namespace["main"]()))
    except Exception as exc:
        return ("raise", type(exc).__name__, str(exc))


def run_flowmetal(source: str) -> tuple[Any, ...]:
    """The same from Flowmetal's VM."""
    try:
        return ("ok", _normalise(run_value(source, "<snippet>")))
    except ProgramFailed as failed:
        return ("raise", failed.exc.type.name, exc_str(failed.exc))
