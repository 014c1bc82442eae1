"""Driving a Task by hand, for tests: deliver messages, collect effects, answer requests.

    d = Driver(source)                      # compiles, Task.new(...)
    r = d.start()                           # the StepResult of the start message
    req = d.requests()[-1]                  # the last protocol.Request made
    r = d.respond(req.id, {"status": 200, "headers": {}, "text": "hi"})
    r = d.fire(timer_id); r = d.message("hello"); r = d.cancel("stop")

With `roundtrip=True` the task is snapshotted and restored into a fresh Task
after every step (the way a host that crashes between steps would see it).
`yielded` steps are continued automatically unless `auto_continue=False`.
"""

from __future__ import annotations

import random
from typing import Any

from flowmetal import protocol
from flowmetal.compile import compile_program
from flowmetal.vm.limits import Limits
from flowmetal.vm.task import Host, Task


class FixedHost:
    """A host with a clock that only moves when told to, and seeded randomness."""

    def __init__(self, start: float = 1000.0, seed: int = 0) -> None:
        self.time = start
        self._rng = random.Random(seed)

    def now(self) -> float:
        return self.time

    def rng(self) -> random.Random:
        return self._rng

    def callback_url(self, task_id: str, callback_id: str) -> str:
        return f"https://hooks.example/{task_id}/{callback_id}"


class Driver:
    def __init__(
        self,
        source: str,
        entry: str = "main",
        args: list[Any] | tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        task_id: str = "t1",
        limits: Limits | None = None,
        host: Host | None = None,
        roundtrip: bool = False,
        auto_continue: bool = True,
        filename: str = "prog.flow",
    ) -> None:
        self.program = compile_program(source, filename)
        self.limits = limits or Limits()
        self.host = host or FixedHost()
        self.task = Task.new(
            self.program,
            task_id,
            entry=entry,
            args=list(args),
            kwargs=kwargs,
            limits=self.limits,
            host=self.host,
        )
        self.task_id = task_id
        self.roundtrip = roundtrip
        self.auto_continue = auto_continue
        self.effects: list[protocol.Effect] = []
        self.output: list[str] = []
        self.steps = 0
        self.last: protocol.StepResult | None = None

    def deliver(
        self, kind: str, request_id: str | None = None, payload: Any = None
    ) -> protocol.StepResult:
        result = self._step(kind, request_id, payload)
        while self.auto_continue and result.status == "yielded":
            result = self._step("continue", None, None)
        return result

    def _step(self, kind: str, request_id: str | None, payload: Any) -> protocol.StepResult:
        self.steps += 1
        message = protocol.Message(
            self.task_id, kind, f"{self.task_id}.m{self.steps}", request_id, payload
        )
        result = self.task.step(message)
        self.effects.extend(result.effects)
        self.output.extend(result.output)
        if self.roundtrip:
            self.task = Task.restore(self.task.snapshot(), self.program, self.limits, self.host)
        self.last = result
        return result

    # -- messages -----------------------------------------------------------------------

    def start(self) -> protocol.StepResult:
        return self.deliver("start", None, {"entry": self.task.entry})

    def respond(self, request_id: str, value: Any) -> protocol.StepResult:
        return self.deliver("response", request_id, {"ok": True, "value": value})

    def fail(self, request_id: str, type_: str, message: str) -> protocol.StepResult:
        return self.deliver(
            "response", request_id, {"ok": False, "error": {"type": type_, "message": message}}
        )

    def fire(self, timer_id: str) -> protocol.StepResult:
        return self.deliver("timer", timer_id, None)

    def message(self, value: Any, sender: str | None = None) -> protocol.StepResult:
        return self.deliver("message", None, {"from": sender, "value": value})

    def cancel(self, reason: str = "cancelled by test") -> protocol.StepResult:
        return self.deliver("cancel", None, {"reason": reason})

    # -- looking at effects -------------------------------------------------------------

    def of(self, cls: type) -> list[Any]:
        return [e for e in self.effects if isinstance(e, cls)]

    def requests(self) -> list[protocol.Request]:
        return self.of(protocol.Request)

    def timers(self) -> list[protocol.StartTimer]:
        return self.of(protocol.StartTimer)
