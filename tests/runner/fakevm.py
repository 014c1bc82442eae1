"""A stand-in for flowmetal.vm.Task: programs written as Python generators.

The runner only needs `task.step(message) -> StepResult` and `task.status`,
so its plumbing (timers, HTTP, callbacks, connectors, spawn, send) can be
tested without the language. A fake program is a dict of generator
functions `fn(t, *args, **kwargs)`: each `yield` hands the runner a list of
effects (or the marker YIELD, to run out of fuel) and gets back the next
message for the task; `return value` ends the task with that result, and an
exception fails it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from flowmetal.protocol import Message, StepResult, TaskError, TaskFinished

YIELD = object()

FakeFn = Callable[..., Generator[Any, Message, Any] | Iterator[Any]]


@dataclass
class FakeProgram:
    functions: dict[str, FakeFn]
    filename: str = "fake.flow"
    version: str = "0" * 64
    messages: dict[str, list[Message]] = field(default_factory=dict)  # every message, per task


class FakeTask:
    def __init__(self, program, task_id, entry, args, kwargs, parent, parent_request, host):  # type: ignore[no-untyped-def]
        self.program = program
        self.id = task_id
        self.host = host
        self.parent = parent
        self.parent_request = parent_request
        self.status = "running"
        self._n = 0
        self._started = False
        self._gen = program.functions[entry](self, *args, **kwargs)
        self.printed: list[str] = []

    def rid(self) -> str:
        """The next deterministic request id, as the VM makes them."""
        self._n += 1
        return f"{self.id}.{self._n}"

    def print(self, line: str) -> None:
        self.printed.append(line)

    def step(self, message: Message) -> StepResult:
        self.program.messages.setdefault(self.id, []).append(message)
        try:
            if not self._started:
                assert message.kind == "start", message
                self._started = True
                out = next(self._gen)
            else:
                out = self._gen.send(message)  # type: ignore[union-attr]
        except StopIteration as stop:
            outcome = {"ok": True, "value": stop.value}
            return self._end("done", outcome, StepResult("done", result=stop.value))
        except Exception as exc:
            error = TaskError(type(exc).__name__, str(exc), f"{type(exc).__name__}: {exc}")
            outcome = {"ok": False, "error": {"type": error.type, "message": error.message}}
            return self._end("failed", outcome, StepResult("failed", error=error))
        output, self.printed = self.printed, []
        if out is YIELD:
            self.status = "yielded"
            return StepResult("yielded", output=output)
        self.status = "waiting"
        return StepResult("waiting", effects=list(out), output=output)

    def _end(self, status: str, outcome: Any, result: StepResult) -> StepResult:
        self.status = status
        result.effects.append(TaskFinished(self.id, self.parent, self.parent_request, outcome))
        result.output, self.printed = self.printed, []
        return result


def value_of(message: Message) -> Any:
    """The value of a `response` message, raising if it is an error response."""
    assert message.kind == "response", message
    if not message.payload["ok"]:
        raise RuntimeError(message.payload["error"])
    return message.payload["value"]
