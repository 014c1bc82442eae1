"""The local runner: one program's tasks, run in-process with real effects and no Kafka.

`flowmetal run --local` and the tests use it. It is a host for the VM, as
the Kafka interpreter is, but its inbox is one asyncio queue and its
connectors are coroutines in the same event loop:

    inbox queue ──> Task.step(message) ──> effects
        ^                                    │
        │   Request "http"      httpx (runner_http)
        │   Request <kind>      a connector object (runner_connectors), or
        │                       "no connector for kind ..."
        │   StartTimer          asyncio timer  ──> `timer`
        │   CancelTimer         cancels it
        │   SpawnTask           a new Task of the same program (or of one
        │                       given in `programs`) ──> its `start`
        │   SendMessage         `message` to the target task
        │   TaskFinished        `response` to the parent's spawn request
        │   status "yielded"    `continue` (at the back of the queue, so a
        └────────────────────── busy task does not starve the others)

Callback URLs are served by runner_callbacks. Lines a program prints go to
`out` (stderr from the CLI: stdout is the result's). The run ends when the
root task is final, or fails as a deadlock when the root task waits for
something nothing can deliver any more (no message queued, no request,
timer or callback outstanding).

The runner never runs program code itself; everything about the language
is behind the Task API, and `task_factory` is the seam for tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import signal
import sys
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

from flowmetal import protocol as p
from flowmetal.errors import FlowmetalError
from flowmetal.protocol import FINAL_STATUSES, JSON, Message, StepResult, TaskError
from flowmetal.runner_callbacks import CallbackListener
from flowmetal.runner_connectors import (
    call_connector,
    close_connectors,
    no_connector,
    start_connectors,
)
from flowmetal.runner_http import perform_http
from flowmetal.runner_tasks import LocalHost, LocalTask, TaskFactory, vm_task_factory


@dataclass
class RunOutcome:
    """How the root task ended: its status, result or error, and the lines it printed."""

    status: str
    result: JSON = None
    error: TaskError | None = None
    output: list[str] = field(default_factory=list)
    task_id: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "done"


class LocalRunner:
    """Runs one root task and its children to the root's end. Use once."""

    def __init__(
        self,
        program: Any,
        *,
        connectors: Mapping[str, Any] | None = None,
        programs: Mapping[str, Any] | None = None,
        task_factory: TaskFactory | None = None,
        limits: Any = None,
        snapshot_each_step: bool = False,
        out: TextIO | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.program = program
        self.connectors = dict(connectors or {})
        self.programs = dict(programs or {})
        self._new_task = task_factory or vm_task_factory(limits, snapshot_each_step)
        self._out = out
        self._transport = http_transport
        self.tasks: dict[str, LocalTask] = {}
        self._programs_of: dict[str, Any] = {}
        self._parents: dict[str, tuple[str | None, str | None]] = {}
        self._broken: set[str] = set()
        self._waiting_for: dict[str, str] = {}  # what each task last said it waits for
        self._queue: asyncio.Queue[Message] = asyncio.Queue()
        self._timers: dict[tuple[str, str], asyncio.TimerHandle] = {}
        self._jobs: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)
        self.listener = CallbackListener(self._deliver_callback)
        self.host = LocalHost(self.listener)
        self._client: httpx.AsyncClient | None = None
        self._outcome: RunOutcome | None = None
        self._output: list[str] = []
        self._root = ""
        self._interrupts = 0

    # -- the loop ----------------------------------------------------------------------

    async def run(
        self,
        entry: str,
        args: list[JSON],
        kwargs: dict[str, JSON],
        task_id: str = "local",
        cancel_on_sigint: bool = False,
    ) -> RunOutcome:
        if cancel_on_sigint:
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, self._interrupted)
        await self.listener.start()
        self._client = httpx.AsyncClient(transport=self._transport)
        try:
            await start_connectors(self.connectors.values())
            self._start(task_id, self.program, entry, args, kwargs, None, None)
            while self._outcome is None:
                self._step(await self._queue.get())
                if self._outcome is None and self._stuck():
                    self._deadlock(task_id)
            return self._outcome
        finally:
            await self._shutdown()

    def _step(self, message: Message) -> None:
        task = self.tasks.get(message.task_id)
        if task is None or not self._live(message.task_id):
            return  # e.g. a timer or response that outlived its task
        try:
            result = task.step(message)
        except Exception as exc:  # a VM bug must fail the task, not the run
            result = self._broke(message.task_id, exc)
        self._waiting_for[message.task_id] = result.waiting_for
        for line in result.output:
            self._print(message.task_id, line)
        for effect in result.effects:
            self._effect(effect)
        if result.status == "yielded":
            self._post(message.task_id, "continue")
        if message.task_id == self._root and result.status in FINAL_STATUSES:
            self._outcome = RunOutcome(
                result.status, result.result, result.error, self._output, self._root
            )

    def _interrupted(self) -> None:
        """Ctrl-C: cancel the root task (its `finally` blocks run); a second one stops at once."""
        if self._interrupts == 0:
            self._interrupts = 1
            print("flowmetal: interrupted, cancelling the task (Ctrl-C again to stop now)",
                  file=sys.stderr, flush=True)  # fmt: skip
            self._post(self._root, "cancel", payload={"reason": "interrupted"})
            return
        error = TaskError("Cancelled", "interrupted twice: stopped without cleaning up")
        self._outcome = RunOutcome("cancelled", None, error, self._output, self._root)
        self._post("", "continue")  # wake the loop, which sees the outcome

    def _stuck(self) -> bool:
        if not self._queue.empty() or self._jobs or self._timers:
            return False
        return self.listener.outstanding(self._live) == 0

    def _deadlock(self, root: str) -> None:
        waiting = [
            f"{tid} (waiting for {self._waiting_for.get(tid) or t.status})"
            for tid, t in self.tasks.items()
            if self._live(tid)
        ]
        message = (
            "the program waits for something that can never come: no message is queued"
            f" and no request, timer or callback is outstanding; live tasks: {', '.join(waiting)}"
        )
        error = TaskError("Deadlock", message, f"Deadlock: {message}")
        self._outcome = RunOutcome("failed", None, error, self._output, root)

    async def _shutdown(self) -> None:
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        for job in list(self._jobs):
            job.cancel()
        if self._jobs:
            await asyncio.gather(*self._jobs, return_exceptions=True)
        with contextlib.suppress(NotImplementedError, RuntimeError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
        await close_connectors(self.connectors.values())
        if self._client is not None:
            await self._client.aclose()
        await self.listener.close()

    # -- tasks -------------------------------------------------------------------------

    def _live(self, task_id: str) -> bool:
        task = self.tasks.get(task_id)
        return (
            task is not None and task_id not in self._broken and task.status not in FINAL_STATUSES
        )

    def _broke(self, task_id: str, exc: Exception) -> StepResult:
        """A step that raised: fail that task as the VM would, and answer its parent."""
        detail = "".join(traceback.format_exception(exc))
        error = TaskError("InternalError", f"{type(exc).__name__}: {exc}", detail)
        self._broken.add(task_id)
        parent, parent_request = self._parents.get(task_id, (None, None))
        outcome = {"ok": False, "error": {"type": error.type, "message": error.message}}
        finished = p.TaskFinished(task_id, parent, parent_request, outcome)
        return StepResult(status="failed", effects=[finished], error=error)

    def _start(
        self,
        task_id: str,
        program: Any,
        entry: str,
        args: list[JSON],
        kwargs: dict[str, JSON],
        parent: str | None,
        parent_request: str | None,
    ) -> None:
        if not self._root:
            self._root = task_id
        try:
            task = self._new_task(
                program, task_id, entry, args, kwargs, parent, parent_request, self.host
            )
        except Exception as exc:  # e.g. no such entry function: the task fails to start
            kind = type(exc).__name__ if isinstance(exc, FlowmetalError) else "InternalError"
            error = {"type": kind, "message": str(exc)}
            if parent is None or parent_request is None:
                failure = TaskError(kind, str(exc), f"{kind}: {exc}")
                self._outcome = RunOutcome("failed", None, failure, self._output, task_id)
            else:
                self._answer(parent, parent_request, {"ok": False, "error": error})
            return
        self.tasks[task_id] = task
        self._programs_of[task_id] = program
        self._parents[task_id] = (parent, parent_request)
        start = {
            "program": program_name(program),
            "version": getattr(program, "version", None),
            "entry": entry,
            "args": list(args),
            "kwargs": dict(kwargs),
            "parent": parent,
            "parent_request": parent_request,
        }
        self._post(task_id, "start", payload=start)

    def _post(
        self, task_id: str, kind: str, request_id: str | None = None, payload: JSON = None
    ) -> None:
        self._queue.put_nowait(Message(task_id, kind, f"m{next(self._ids)}", request_id, payload))

    def _answer(self, task_id: str, request_id: str, payload: JSON) -> None:
        self._post(task_id, "response", request_id, payload)

    def _print(self, task_id: str, line: str) -> None:
        self._output.append(line)
        text = line if task_id == self._root else f"[{task_id}] {line}"
        print(text, file=self._out if self._out is not None else sys.stderr, flush=True)

    def _cancel_timers(self, task_id: str) -> None:
        for key in [k for k in self._timers if k[0] == task_id]:
            self._timers.pop(key).cancel()

    # -- effects -----------------------------------------------------------------------

    def _effect(self, effect: p.Effect) -> None:
        if isinstance(effect, p.Request):
            self._request(effect)
        elif isinstance(effect, p.StartTimer):
            self._start_timer(effect)
        elif isinstance(effect, p.CancelTimer):
            handle = self._timers.pop((effect.task_id, effect.id), None)
            if handle is not None:
                handle.cancel()
        elif isinstance(effect, p.SpawnTask):
            self._spawn(effect)
        elif isinstance(effect, p.SendMessage):
            if effect.target in self.tasks:
                self._post(
                    effect.target,
                    "message",
                    payload={"from": effect.task_id, "value": effect.value},
                )
            else:
                self._print(
                    effect.task_id, f"flowmetal: send to unknown task {effect.target!r} dropped"
                )
        elif isinstance(effect, p.TaskFinished):
            self._cancel_timers(effect.task_id)
            if effect.parent is not None and effect.parent_request is not None:
                self._answer(effect.parent, effect.parent_request, effect.outcome)

    def _request(self, request: p.Request) -> None:
        call: Callable[[], Awaitable[JSON]]
        if request.kind == "http" and "http" not in self.connectors:
            client = self._client
            assert client is not None
            call = lambda: perform_http(client, request)  # noqa: E731
        elif request.kind in self.connectors:
            call = lambda: call_connector(self.connectors[request.kind], request)  # noqa: E731
        else:
            self._answer(request.task_id, request.id, no_connector(request))
            return
        self._background(request.task_id, request.id, call)

    def _background(
        self, task_id: str, request_id: str, call: Callable[[], Awaitable[JSON]]
    ) -> None:
        async def job() -> None:
            payload = await call()
            # Post before the job leaves self._jobs: _stuck() must see one or the other.
            self._answer(task_id, request_id, payload)

        handle = asyncio.ensure_future(job())
        self._jobs.add(handle)
        handle.add_done_callback(self._jobs.discard)

    def _start_timer(self, timer: p.StartTimer) -> None:
        key = (timer.task_id, timer.id)

        def fire() -> None:
            if self._timers.pop(key, None) is not None:
                self._post(timer.task_id, "timer", timer.id)

        old = self._timers.pop(key, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        self._timers[key] = loop.call_later(max(timer.seconds, 0.0), fire)

    def _spawn(self, spawn: p.SpawnTask) -> None:
        parent_program = self._programs_of[spawn.task_id]
        program = parent_program
        if spawn.program is not None and spawn.program != program_name(parent_program):
            program = self.programs.get(spawn.program)
            if program is None:
                message = (
                    f"cannot spawn program {spawn.program!r} in a local run: only functions of"
                    " the running program, or programs given with --program NAME=FILE"
                )
                error = {"type": "TaskFailed", "message": message}
                self._answer(spawn.task_id, spawn.id, {"ok": False, "error": error})
                return
        self._start(
            spawn.child_id, program, spawn.entry, spawn.args, spawn.kwargs, spawn.task_id, spawn.id
        )

    def _deliver_callback(self, task_id: str, callback_id: str, value: JSON) -> bool:
        if task_id not in self.tasks:
            return False
        self._answer(task_id, callback_id, {"ok": True, "value": value})
        return True


def program_name(program: Any) -> str:
    """A program's name in a local run: its file's stem (`fan_out.flow` -> `fan_out`)."""
    return Path(getattr(program, "filename", "") or "main").stem


def run_local(
    source: str,
    filename: str,
    args: list[JSON] | None = None,
    kwargs: dict[str, JSON] | None = None,
    connectors: Mapping[str, Any] | None = None,
    limits: Any = None,
    *,
    entry: str = "main",
    programs: Mapping[str, str] | None = None,
    snapshot_each_step: bool = False,
    out: TextIO | None = None,
    task_id: str | None = None,
    cancel_on_sigint: bool = False,
) -> RunOutcome:
    """Compile `source` and run `entry(*args, **kwargs)` to its end with real effects.

    Raises FlowSyntaxError/CompileError for a program (or one in `programs`,
    name -> file path) that does not compile; every failure of the program
    itself is in the outcome.

    `task_id` names the root task (default: `local-<random>`). Request ids,
    and so the Idempotency-Keys the program's HTTP requests carry, derive
    from it: a fresh one per run means a second run is a new job for a
    service that deduplicates; the same one replays as the same requests."""
    from flowmetal.compile import compile_program

    program = compile_program(source, filename)
    others = {
        name: compile_program(Path(path).read_text(encoding="utf-8"), str(path))
        for name, path in (programs or {}).items()
    }
    runner = LocalRunner(
        program,
        connectors=connectors,
        programs=others,
        limits=limits,
        snapshot_each_step=snapshot_each_step,
        out=out,
    )
    root = task_id or f"local-{secrets.token_hex(6)}"
    return asyncio.run(
        runner.run(entry, list(args or []), dict(kwargs or {}), root, cancel_on_sigint)
    )
