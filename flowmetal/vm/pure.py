"""run_pure: compile and run a program that makes no effects, to completion.

For tests and conformance suites: the program's `main` runs with the given
arguments, across as many fuel-limited steps as it needs. A program that
asks for an effect (an HTTP request, a timer, a child task, a message) fails
with a clear error: there is no host to answer it.
"""

from __future__ import annotations

from typing import Any

from flowmetal import protocol
from flowmetal.compile import compile_program
from flowmetal.vm.exceptions import EXC_TYPES
from flowmetal.vm.limits import Limits
from flowmetal.vm.task import Task
from flowmetal.vm.values import ExcValue


def run_pure(
    source: str,
    filename: str = "<test>",
    entry: str = "main",
    args: tuple[Any, ...] | list[Any] = (),
    kwargs: dict[str, Any] | None = None,
    limits: Limits | None = None,
) -> protocol.StepResult:
    """Run `entry(*args, **kwargs)` of `source`; the final StepResult (status done or failed)."""
    return _run(source, filename, entry, args, kwargs, limits)[0]


class ProgramFailed(Exception):
    """Raised by run_value: the program failed with the Flowmetal exception `exc`."""

    def __init__(self, result: protocol.StepResult, exc: ExcValue | None) -> None:
        error = result.error
        super().__init__(f"{error.type}: {error.message}" if error else "program failed")
        self.result = result
        self.exc = exc if exc is not None else ExcValue(EXC_TYPES["RuntimeError"], (str(self),))


def run_value(
    source: str,
    filename: str = "<test>",
    entry: str = "main",
    args: tuple[Any, ...] | list[Any] = (),
    kwargs: dict[str, Any] | None = None,
    limits: Limits | None = None,
) -> Any:
    """Like run_pure, but return the program's result as is (not converted to JSON) or raise
    ProgramFailed; for test harnesses that compare with CPython."""
    result, task = _run(source, filename, entry, args, kwargs, limits, json_result=False)
    if result.status != "done":
        raise ProgramFailed(result, task.failure)
    return result.result


def _run(
    source: str,
    filename: str,
    entry: str,
    args: tuple[Any, ...] | list[Any],
    kwargs: dict[str, Any] | None,
    limits: Limits | None,
    json_result: bool = True,
) -> tuple[protocol.StepResult, Task]:
    program = compile_program(source, filename)
    task = Task.new(program, "pure", entry=entry, args=list(args), kwargs=kwargs, limits=limits)
    task.check_snapshot = False
    task.json_result = json_result
    output: list[str] = []
    message = protocol.Message("pure", "start", "pure.start")
    n = 0
    while True:
        result = task.step(message)
        output.extend(result.output)
        effects = [e for e in result.effects if not isinstance(e, protocol.TaskFinished)]
        if effects and result.status not in protocol.FINAL_STATUSES:
            kind = type(effects[0]).__name__
            error = protocol.TaskError(
                "RuntimeError",
                f"run_pure runs no effects, but the program made a {kind}"
                + (f" and waits for {result.waiting_for}" if result.waiting_for else ""),
            )
            failed = protocol.StepResult(
                "failed", result.effects, None, error, result.waiting_for, output
            )
            return failed, task
        if result.status == "yielded":
            n += 1
            message = protocol.Message("pure", "continue", f"pure.continue.{n}")
            continue
        if result.status == "waiting":
            error = protocol.TaskError(
                "RuntimeError",
                f"run_pure runs no effects, but the program waits for {result.waiting_for}",
            )
            failed = protocol.StepResult(
                "failed", result.effects, None, error, result.waiting_for, output
            )
            return failed, task
        result.output = output
        return result, task
