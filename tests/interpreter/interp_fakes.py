"""A stand-in for flowmetal.vm.Task whose programs are Python functions over JSON state.

The engine and the loop need `Task.new`, `Task.restore`, `step`, `snapshot`
and `status`; this fake has them, with snapshots that are JSON bytes, so the
Kafka plumbing (transactions, restore, timers, dead letters) can be tested
without the language. A fake program maps entry names to functions
`fn(task, message) -> StepResult`; `task.data` is the JSON state they keep.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flowmetal import protocol as p
from flowmetal.protocol import Message, StepResult

StepFn = Callable[["FakeTask", Message], StepResult]


@dataclass
class FakeProgram:
    name: str
    functions: dict[str, StepFn]
    version: str = "f" * 64


@dataclass
class FakeRecord:
    version: str


@dataclass
class FakeTable:
    """The ProgramTable API the interpreter uses: compiled() and get_record()."""

    programs: dict[str, FakeProgram] = field(default_factory=dict)

    def compiled(self, name: str, version: str | None = None) -> FakeProgram:
        program = self.programs.get(name)
        if program is None or (version and version != program.version):
            from flowmetal.programs import ProgramNotFound

            raise ProgramNotFound(f"no program {name!r} version {version}")
        return program

    def get_record(self, name: str, version: str | None = None) -> FakeRecord:
        return FakeRecord(self.compiled(name, version).version)


class FakeTask:
    def __init__(self, program: FakeProgram, data: dict[str, Any]) -> None:
        self.program = program
        self.data = data
        self.status = data.get("status", "running")
        self.parent = data.get("parent")
        self.parent_request = data.get("parent_request")

    @classmethod
    def new(
        cls,
        program: FakeProgram,
        task_id: str,
        entry: str = "main",
        args: Any = (),
        kwargs: Any = None,
        parent: str | None = None,
        parent_request: str | None = None,
        limits: Any = None,
        host: Any = None,
    ) -> FakeTask:
        if entry not in program.functions:
            raise ValueError(f"no function {entry}")
        return cls(
            program,
            {
                "id": task_id,
                "entry": entry,
                "args": list(args),
                "n": 0,
                "parent": parent,
                "parent_request": parent_request,
            },
        )

    @classmethod
    def restore(
        cls, data: bytes, program: FakeProgram, limits: Any = None, host: Any = None
    ) -> FakeTask:
        return cls(program, json.loads(data))

    def snapshot(self) -> bytes:
        self.data["status"] = self.status
        return json.dumps(self.data).encode()

    def rid(self) -> str:
        self.data["n"] += 1
        return f"{self.data['id']}.{self.data['n']}"

    def step(self, message: Message) -> StepResult:
        if message.kind == "cancel":
            result = StepResult("cancelled", error=p.TaskError("Cancelled", "cancelled"))
        else:
            result = self.program.functions[self.data["entry"]](self, message)
        self.status = result.status
        if result.status in p.FINAL_STATUSES:
            outcome = (
                {"ok": True, "value": result.result}
                if result.status == "done"
                else {"ok": False, "error": {"type": "Error", "message": "failed"}}
            )
            result.effects.append(
                p.TaskFinished(self.data["id"], self.parent, self.parent_request, outcome)
            )
        return result


# -- a few programs ----------------------------------------------------------------------


def echo(task: FakeTask, message: Message) -> StepResult:
    return StepResult("done", result=task.data["args"][0] if task.data["args"] else None)


def sleeper(task: FakeTask, message: Message) -> StepResult:
    """sleep(args[0]) then return "slept"."""
    if message.kind == "start":
        return StepResult(
            "waiting",
            [p.StartTimer(task.rid(), task.data["id"], task.data["args"][0])],
            waiting_for="sleep",
        )
    if message.kind == "timer":
        return StepResult("done", result="slept")
    return StepResult("waiting", waiting_for="sleep")


def counter(task: FakeTask, message: Message) -> StepResult:
    """Sum the values sent to it until args[0] messages arrived."""
    if message.kind == "message":
        task.data["sum"] = task.data.get("sum", 0) + message.payload["value"]
        task.data["count"] = task.data.get("count", 0) + 1
        if task.data["count"] >= task.data["args"][0]:
            return StepResult("done", result=[task.data["count"], task.data["sum"]])
    return StepResult("waiting", waiting_for="receive")


def spinner(task: FakeTask, message: Message) -> StepResult:
    """Yields forever (a loop that always runs out of fuel)."""
    task.data["spins"] = task.data.get("spins", 0) + 1
    return StepResult("yielded")


def crasher(task: FakeTask, message: Message) -> StepResult:
    raise RuntimeError("boom inside the VM")


def unsendable(task: FakeTask, message: Message) -> StepResult:
    """A request the wire refuses (retries past any Avro int), as a buggy VM might make."""
    request = p.Request(task.rid(), task.data["id"], "echo", None, None, 2**64)
    return StepResult("waiting", [request], waiting_for="echo")


def unprintable(task: FakeTask, message: Message) -> StepResult:
    """Finish with printed text the history cannot encode (a lone surrogate)."""
    return StepResult("done", result=1, output=["\ud800"])


def huge(task: FakeTask, message: Message) -> StepResult:
    """Finish with a result past the broker's record size."""
    return StepResult("done", result="x" * (21 * 1024 * 1024))


def program() -> FakeProgram:
    return FakeProgram(
        "fake",
        {
            "echo": echo,
            "sleeper": sleeper,
            "counter": counter,
            "spinner": spinner,
            "crasher": crasher,
            "unsendable": unsendable,
            "unprintable": unprintable,
            "huge": huge,
        },
    )
