"""The Task API: what hosts (the local runner, the Kafka interpreter) program against.

    task = Task.new(program, task_id, entry="main", args=[...], kwargs={...},
                    parent=None, parent_request=None, limits=Limits(), host=host)
    result = task.step(message)      # a protocol.Message; returns a protocol.StepResult
    data = task.snapshot()           # bytes (serial.py)
    task = Task.restore(data, program, limits=Limits(), host=host)

`step` never raises for anything the program does (Temporal's rule: every
guest error becomes a failure value). A program error fails the task with a
Flowmetal traceback; a bug of our own fails it with type "InternalError".
Messages that no longer matter (a timer for a finished wait, a response to a
request the task gave up on, anything after the task ended) are ignored.
"""

from __future__ import annotations

import random
import time
import traceback as py_traceback
from typing import Any, Protocol

from flowmetal import protocol
from flowmetal.compile.code import Program
from flowmetal.errors import LimitError
from flowmetal.vm.effects import copy_json, to_json
from flowmetal.vm.exceptions import EXC_TYPES
from flowmetal.vm.frame import Frame
from flowmetal.vm.limits import Limits
from flowmetal.vm.machine import FlowRaise, Suspend, Uncaught, exc_message, render_traceback
from flowmetal.vm.objects import Function
from flowmetal.vm.values import ExcValue
from flowmetal.vm.vm import VM


class Host(Protocol):
    """What a task may ask of the process running it."""

    def now(self) -> float: ...

    def rng(self) -> random.Random: ...

    def callback_url(self, task_id: str, callback_id: str) -> str: ...


# The operating system's randomness: nothing to seed, nothing to store. A task keeps
# the numbers it drew in its state, so they need not be reproducible.
_SYSTEM_RANDOM = random.SystemRandom()


class DefaultHost:
    """Wall clock, system randomness, and callback URLs that no server serves (tests,
    run_pure); the service's and the local runner's hosts change the URLs."""

    def now(self) -> float:
        return time.time()

    def rng(self) -> random.Random:
        return _SYSTEM_RANDOM

    def callback_url(self, task_id: str, callback_id: str) -> str:
        return f"flowmetal://callback/{task_id}/{callback_id}"


class Task:
    """One running instance of a program: a VM plus its lifecycle."""

    def __init__(self, program: Program, vm: VM, limits: Limits, host: Host | None) -> None:
        self.program = program
        self.vm = vm
        self.limits = limits
        self.host = host if host is not None else DefaultHost()
        vm.host = self.host
        self.status = "running"
        self.started = False
        self.phase = "module"  # "module" while the module body runs, then "main"
        self.entry = "main"
        self.args: list[Any] = []
        self.kwargs: dict[str, Any] = {}
        self.parent: str | None = None
        self.parent_request: str | None = None
        self.result: Any = None
        self.error: protocol.TaskError | None = None
        self.check_snapshot = True
        self.json_result = True  # False only for in-process harnesses (run_value)
        self.failure: ExcValue | None = None  # the exception that failed the task (not snapshotted)
        self._snapshot_cache: bytes | None = None

    @property
    def task_id(self) -> str:
        return str(self.vm.task_id)

    @classmethod
    def new(
        cls,
        program: Program,
        task_id: str,
        entry: str = "main",
        args: list[Any] | tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        parent: str | None = None,
        parent_request: str | None = None,
        limits: Limits | None = None,
        host: Host | None = None,
    ) -> Task:
        limits = limits or Limits()
        task = cls(program, VM(program, limits, task_id), limits, host)
        task.entry = entry
        task.args = copy_json(list(args))
        task.kwargs = copy_json(dict(kwargs or {}))
        task.parent = parent
        task.parent_request = parent_request
        return task

    # -- stepping -----------------------------------------------------------------------

    def step(self, message: protocol.Message) -> protocol.StepResult:
        """Deliver one inbox message and run until the task blocks, ends or yields."""
        vm = self.vm
        vm.effects = []
        vm.printed = []
        self._snapshot_cache = None
        try:
            try:
                if self._accept(message):
                    self._run()
            except Uncaught as u:
                self._fail(u.exc)
            except FlowRaise as e:  # raised outside any frame (cannot happen; be safe)
                self._fail(e.exc)
        except (Exception, Suspend) as exc:  # a bug of ours: fail the task, never the host
            self._internal(exc)
        if self.check_snapshot and self.status not in protocol.FINAL_STATUSES:
            self._check_snapshot_size()
        return protocol.StepResult(
            status=self.status,
            effects=list(vm.effects),
            result=self.result,
            error=self.error,
            waiting_for=vm.waiting.describe() if (self.status == "waiting" and vm.waiting) else "",
            output=list(vm.printed),
        )

    def _accept(self, message: protocol.Message) -> bool:
        """Take in `message`; True if the program should run now."""
        vm = self.vm
        kind = message.kind
        if self.status in protocol.FINAL_STATUSES:
            return False
        if kind == "start":
            if self.started:
                return False
            self.started = True
            self._start()
            return True
        if not self.started:
            if kind == "cancel":
                self._fail(ExcValue(EXC_TYPES["Cancelled"], (_reason(message.payload),)))
            return False
        if kind == "response":
            vm.deliver_response(message.request_id or "", message.payload)
        elif kind == "timer":
            if vm.deliver_timer(message.request_id or ""):
                return True
        elif kind == "message":
            vm.deliver_message(message.payload)
        elif kind == "cancel":
            exc = ExcValue(EXC_TYPES["Cancelled"], (_reason(message.payload),))
            if self.status == "waiting":
                vm.interrupt(exc)
            else:
                vm.throw(exc)
            return True
        if self.status == "yielded":
            return kind in ("continue", "response", "timer", "message")
        if self.status == "waiting":
            return vm.resume()
        return False

    def _start(self) -> None:
        code = self.program.codes[0]
        self.vm.frames.append(Frame(code, None))
        self.status = "running"

    def _run(self) -> None:
        vm = self.vm
        self.status = "running"
        budget = self.limits.fuel
        while True:
            kind, value = vm.execute(budget)
            budget = vm.fuel_left
            if kind == "yield":
                self.status = "yielded"
                return
            if kind == "suspend":
                self.status = "waiting"
                return
            if self.phase == "module":
                self.phase = "main"
                if not self._call_entry():
                    return
                continue
            self._finish(value)
            return

    def _call_entry(self) -> bool:
        vm = self.vm
        fn = vm.globals.get(self.entry)
        if not isinstance(fn, Function):
            self._fail(
                ExcValue(EXC_TYPES["NameError"], (f"program has no function '{self.entry}'",))
            )
            return False
        try:
            vm.push_frame(fn, self.args, self.kwargs)
        except FlowRaise as e:
            self._fail(e.exc)
            return False
        return True

    def _finish(self, value: Any) -> None:
        if not self.json_result:
            self.result = value
            self.status = "done"
            return
        try:
            self.result = to_json(value, "task result")
        except FlowRaise as e:
            self._fail(e.exc)
            return
        self.status = "done"
        self._finished({"ok": True, "value": self.result})

    def _fail(self, exc: ExcValue) -> None:
        self.failure = exc
        self.status = "cancelled" if exc.type is EXC_TYPES["Cancelled"] else "failed"
        self.error = protocol.TaskError(
            exc.type.name, exc_message(exc), render_traceback(self.program, exc)
        )
        self._end()

    def _internal(self, exc: BaseException) -> None:
        where = ""
        if self.vm.frames:
            f = self.vm.frames[-1]
            where = f' (at "{f.code.filename}", line {f.line()}, in {f.code.name})'
        detail = "".join(py_traceback.format_exception(exc)[-3:])
        self.status = "failed"
        self.error = protocol.TaskError(
            "InternalError",
            f"Flowmetal internal error: {type(exc).__name__}: {exc}{where}",
            detail,
        )
        self._end()

    def _end(self) -> None:
        vm = self.vm
        vm.frames.clear()
        vm.waiting = None
        error = self.error
        assert error is not None
        self._finished(
            {
                "ok": False,
                "error": {
                    "type": error.type,
                    "message": error.message,
                    "traceback": error.traceback,
                },
            }
        )

    def _finished(self, outcome: Any) -> None:
        vm = self.vm
        for cm in vm.timeouts:  # blocks left open (the task ended inside them)
            if cm.state == "active":
                vm.emit(protocol.CancelTimer(cm.timer_id, vm.task_id))
        vm.timeouts.clear()
        vm.emit(protocol.TaskFinished(vm.task_id, self.parent, self.parent_request, outcome))

    def _check_snapshot_size(self) -> None:
        try:
            data = self.snapshot()
        except LimitError as exc:
            self._fail(ExcValue(EXC_TYPES["LimitExceeded"], (str(exc),)))
            return
        except Exception as exc:
            self._internal(exc)
            return
        self._snapshot_cache = data

    # -- snapshots ----------------------------------------------------------------------

    def snapshot(self) -> bytes:
        """The task's whole state as bytes (see flowmetal.serial)."""
        if self._snapshot_cache is not None:
            return self._snapshot_cache
        from flowmetal.serial import encode_task

        data = encode_task(self)
        if len(data) > self.limits.max_snapshot:
            raise LimitError(
                f"task state is {len(data)} bytes, over the snapshot limit of {self.limits.max_snapshot}"
            )
        return data

    @classmethod
    def restore(
        cls, data: bytes, program: Program, limits: Limits | None = None, host: Host | None = None
    ) -> Task:
        """A task from `snapshot()` bytes and the program version it runs."""
        from flowmetal.serial import decode_task

        return decode_task(data, program, limits or Limits(), host)


def _reason(payload: Any) -> str:
    if isinstance(payload, dict):
        return str(payload.get("reason", "cancelled"))
    return "cancelled" if payload is None else str(payload)
