"""What crosses a task's boundary: the messages of its inbox and the effects of its steps.

Plain data with no behaviour. The VM consumes `Message`s and produces
`Effect`s; the local runner, the interpreter service, the wire format and
the connectors all speak these types, so none of them needs to know the
others. User payloads (arguments, results, values sent between tasks,
connector payloads) are JSON values: None, bool, int, float, str, list,
dict with str keys.

Message kinds and their payloads:

  start     {"program": name, "version": sha256, "entry": "main",
             "args": [...], "kwargs": {...},
             "parent": parent task id or None, "parent_request": request id or None}
  response  {"ok": true, "value": V}  or
            {"ok": false, "error": {"type": "HTTPError", "message": "...", "traceback": "..."}}
            -- answers `request_id` (a connector call, a child task, a callback delivery)
  timer     None -- the timer `request_id` is due
  message   {"from": task id or None, "value": V} -- a value sent with flow.task.send
  cancel    {"reason": "..."}
  continue  None -- the task ran out of fuel and goes on
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

JSON: TypeAlias = Any

MessageKind = Literal["start", "response", "timer", "message", "cancel", "continue"]
MESSAGE_KINDS: tuple[str, ...] = ("start", "response", "timer", "message", "cancel", "continue")


@dataclass(frozen=True)
class Message:
    """One inbox record addressed to `task_id`."""

    task_id: str
    kind: str
    id: str
    request_id: str | None = None
    payload: JSON = None


# -- effects: what one step asks its host to do ------------------------------------------


@dataclass(frozen=True)
class Request:
    """A call to a connector (`kind` "http", "echo", ...); its answer is a `response` message."""

    id: str
    task_id: str
    kind: str
    payload: JSON
    timeout: float | None = None
    retries: int = 0


@dataclass(frozen=True)
class StartTimer:
    """Deliver a `timer` message with request_id=`id` to `task_id` after `seconds`."""

    id: str
    task_id: str
    seconds: float


@dataclass(frozen=True)
class CancelTimer:
    """The timer `id` is no longer wanted; firing it anyway is harmless (the VM ignores it)."""

    id: str
    task_id: str


@dataclass(frozen=True)
class SpawnTask:
    """Start child task `child_id` (which is also the request id the parent awaits).

    `program` is None for a function of the parent's own program version."""

    id: str
    task_id: str
    child_id: str
    program: str | None
    version: str | None
    entry: str
    args: list[JSON]
    kwargs: dict[str, JSON]


@dataclass(frozen=True)
class SendMessage:
    """Deliver a `message` to `target` with {"from": task_id, "value": value}."""

    id: str
    task_id: str
    target: str
    value: JSON


@dataclass(frozen=True)
class TaskFinished:
    """The task ended; its parent (if any) gets a `response` to `parent_request`."""

    task_id: str
    parent: str | None
    parent_request: str | None
    outcome: JSON  # the `response` payload shape: {"ok": ..., "value"|"error": ...}


Effect: TypeAlias = Request | StartTimer | CancelTimer | SpawnTask | SendMessage | TaskFinished

TaskStatus = Literal["running", "waiting", "yielded", "done", "failed", "cancelled"]
FINAL_STATUSES: frozenset[str] = frozenset({"done", "failed", "cancelled"})


@dataclass(frozen=True)
class TaskError:
    """Why a task failed, in Flowmetal's words: type name, message, Flowmetal traceback."""

    type: str
    message: str
    traceback: str = ""


@dataclass
class StepResult:
    """What one step did: the task's status after it, and the effects for its host."""

    status: str
    effects: list[Effect] = field(default_factory=list)
    result: JSON = None
    error: TaskError | None = None
    waiting_for: str = ""
    output: list[str] = field(default_factory=list)  # lines the program printed
