"""The router: what one step's StepResult becomes in Kafka.

A step returns effects (flowmetal/protocol.py); the interpreter turns each
into a record of the step's transaction, or into a change of the task's
pending timers:

    Request        -> outbox, key task id, header flowmetal-kind = connector kind
    SpawnTask      -> `start` into the child's inbox; a child of another program
                      is pinned to that program's latest version, resolved now
    SendMessage    -> `message` {"from", "value"} into the target's inbox
    TaskFinished   -> `response` into the parent's inbox, answering the spawn
                      request (nothing when the task has no parent)
    StartTimer     -> the task's timers (absolute deadline), hence its state
    CancelTimer    -> removed from the task's timers
    status yielded -> `continue` into the task's own inbox

Messages to tasks of the interpreter's own partitions go through Kafka like
any other: nothing is short-circuited, so every step consumes a record.
Message ids are derived from the effect ids (themselves deterministic), so a
replayed step would produce byte-identical messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flowmetal import protocol as p
from flowmetal import wire
from flowmetal.config import INBOX, OUTBOX
from flowmetal.protocol import JSON, Message, StepResult


@dataclass(frozen=True)
class Record:
    """One record to produce in the current transaction; `topic` is the short name."""

    topic: str
    key: str | bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] | None = None
    partition: int | None = None  # None: the producer's murmur2_random partitioner


def message_record(message: Message) -> Record:
    """An inbox record for `message` (keyed by its task id, with the kind header)."""
    return Record(
        INBOX,
        message.task_id,
        wire.encode_message(message),
        wire.headers_for_message(message),
    )


def start_payload(
    program: str,
    version: str,
    entry: str,
    args: list[JSON],
    kwargs: dict[str, JSON],
    parent: str | None = None,
    parent_request: str | None = None,
) -> dict[str, JSON]:
    """The payload of a `start` message (see flowmetal/protocol.py)."""
    return {
        "program": program,
        "version": version,
        "entry": entry,
        "args": list(args),
        "kwargs": dict(kwargs),
        "parent": parent,
        "parent_request": parent_request,
    }


# Resolves a program name to its latest version ("" when there is none: the child fails).
LatestVersion = Callable[[str], str]


@dataclass
class Routed:
    """A step's effects as records, and the task's timers after it."""

    records: list[Record] = field(default_factory=list)
    timers: dict[str, int] = field(default_factory=dict)
    summary: list[dict[str, JSON]] = field(default_factory=list)  # for the history event


def route(
    task_id: str,
    result: StepResult,
    *,
    program: str,
    version: str,
    timers: dict[str, int],
    now_ms: int,
    step_seq: int,
    latest_version: LatestVersion,
) -> Routed:
    """Turn `result` into records; `timers` are the task's pending timers before the step."""
    out = Routed(timers=dict(timers))
    for effect in result.effects:
        if isinstance(effect, p.Request):
            out.records.append(
                Record(
                    OUTBOX,
                    task_id,
                    wire.encode_request(effect),
                    wire.headers_for_request(effect),
                )
            )
            out.summary.append({"request": effect.id, "kind": effect.kind})
        elif isinstance(effect, p.StartTimer):
            out.timers[effect.id] = now_ms + max(0, round(effect.seconds * 1000))
            out.summary.append({"timer": effect.id, "seconds": effect.seconds})
        elif isinstance(effect, p.CancelTimer):
            out.timers.pop(effect.id, None)
            out.summary.append({"cancel_timer": effect.id})
        elif isinstance(effect, p.SpawnTask):
            if effect.program is None:
                child_program, child_version = program, version
            else:
                child_program = effect.program
                child_version = effect.version or latest_version(effect.program)
            payload = start_payload(
                child_program,
                child_version,
                effect.entry,
                effect.args,
                effect.kwargs,
                parent=task_id,
                parent_request=effect.id,
            )
            out.records.append(
                message_record(
                    Message(effect.child_id, "start", f"{effect.id}:start", None, payload)
                )
            )
            out.summary.append({"spawn": effect.child_id, "program": child_program})
        elif isinstance(effect, p.SendMessage):
            payload = {"from": task_id, "value": effect.value}
            out.records.append(
                message_record(Message(effect.target, "message", effect.id, None, payload))
            )
            out.summary.append({"send": effect.target, "id": effect.id})
        elif isinstance(effect, p.TaskFinished):
            out.timers.clear()  # an ended task waits for nothing
            if effect.parent is not None:
                answer = Message(
                    effect.parent,
                    "response",
                    f"{task_id}:finished",
                    effect.parent_request,
                    effect.outcome,
                )
                out.records.append(message_record(answer))
                out.summary.append({"answer_parent": effect.parent})
    if result.status == "yielded":
        out.records.append(
            message_record(Message(task_id, "continue", f"{task_id}:continue:{step_seq}"))
        )
    return out


def finished_effect(
    task_id: str, parent: str | None, parent_request: str | None, error: p.TaskError
) -> p.TaskFinished:
    """The TaskFinished of a task the interpreter had to fail itself."""
    outcome = {
        "ok": False,
        "error": {"type": error.type, "message": error.message, "traceback": error.traceback},
    }
    return p.TaskFinished(task_id, parent, parent_request, outcome)
