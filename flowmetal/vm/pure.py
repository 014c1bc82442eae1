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
from flowmetal.vm.limits import Limits
from flowmetal.vm.task import Task


def run_pure(
    source: str,
    filename: str = "<test>",
    entry: str = "main",
    args: tuple[Any, ...] | list[Any] = (),
    kwargs: dict[str, Any] | None = None,
    limits: Limits | None = None,
) -> protocol.StepResult:
    """Run `entry(*args, **kwargs)` of `source`; the final StepResult (status done or failed)."""
    program = compile_program(source, filename)
    task = Task.new(program, "pure", entry=entry, args=list(args), kwargs=kwargs, limits=limits)
    task.check_snapshot = False
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
            return protocol.StepResult(
                "failed", result.effects, None, error, result.waiting_for, output
            )
        if result.status == "yielded":
            n += 1
            message = protocol.Message("pure", "continue", f"pure.continue.{n}")
            continue
        if result.status == "waiting":
            error = protocol.TaskError(
                "RuntimeError",
                f"run_pure runs no effects, but the program waits for {result.waiting_for}",
            )
            return protocol.StepResult(
                "failed", result.effects, None, error, result.waiting_for, output
            )
        result.output = output
        return result
