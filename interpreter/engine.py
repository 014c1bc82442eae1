"""The engine: one inbox record in, one step run, the step's records out.

No Kafka client here: the loop (loop.py) hands the engine each consumed
record, in offset order, and produces what the engine returns inside its
transaction. For a record the engine:

1. decodes it; an undecodable record, one on the wrong partition, one for an
   unknown task or (save internal `continue`/`timer` stragglers) for one that
   has ended becomes a dead letter with the reason and its origin;
2. loads the task: the memory cache, else the store (RocksDB), else, for a
   `start`, a new task of the pinned program version; a second `start` for an
   existing id is ignored, which makes client-chosen task ids idempotent;
3. runs one step; `Task.step` does not raise for program errors, and if it
   raises anyway (or the snapshot cannot be taken) the engine fails that task
   with an InternalError, never the loop;
4. returns the records: the new `state` on the partition of the consumed
   record, the routed effects (effects.py), and one `history` event.

One history event per step (wire.encode_history), keyed by task id:

    seq     the task's step number, 1, 2, 3 ...: a counter kept in the task's
            state record (`steps`), so a step redone after an abort or a crash
            gets the same number again and the committed history of a task is
            exactly 1..n; a gap or a duplicate would show a broken transaction
    kind    "started" (the first step), "step", or the final status
            ("done", "failed", "cancelled")
    detail  {"message": {kind, id, request_id}, "status", "waiting_for",
             "effects": [summaries], "output": [printed lines], "result",
             "error", "inbox": {"partition", "offset"}} (the consumed record,
             for debugging)

The memory cache holds live tasks of the current transaction and after; the
loop drops the entries of an aborted batch or a revoked partition, after which
they load again from the store, which only holds committed states.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flowmetal import wire
from flowmetal.config import DLQ, HISTORY, STATE, Settings
from flowmetal.interpreter.effects import Record, finished_effect, message_record, route
from flowmetal.interpreter.hosting import Programs, ServiceHost
from flowmetal.interpreter.store import Deadline, TaskStore
from flowmetal.interpreter.timers import TimerIndex
from flowmetal.kafka import MAX_RECORD_BYTES, partition_for
from flowmetal.protocol import FINAL_STATUSES, MESSAGE_KINDS, Message, StepResult, TaskError

log = logging.getLogger(__name__)

# Messages the interpreter sends a task itself; one arriving after the task ended is
# an expected race (a timer that was due as it finished), not a dead letter.
_INTERNAL_KINDS = frozenset({"continue", "timer"})


# A record must stay below the topics' max.message.bytes (kafka.MAX_RECORD_BYTES), with
# room for the batch and headers around it.
MAX_STEP_RECORD_BYTES = MAX_RECORD_BYTES - 64 * 1024


class StepTooLarge(ValueError):
    """A step's record is past what the broker accepts."""


def _failure(
    task_id: str, parent: Any, parent_request: Any, what: str, exc: Exception
) -> StepResult:
    """A failed step with an InternalError that says what went wrong, telling the parent."""
    error = TaskError(
        "InternalError", f"the interpreter could not {what}: {type(exc).__name__}: {exc}"
    )
    result = StepResult("failed", error=error)
    result.effects.append(finished_effect(task_id, parent, parent_request, error))
    return result


@dataclass
class LiveTask:
    """A task the engine has loaded: its VM object (None once ended) and its bookkeeping."""

    task_id: str
    partition: int
    program: str
    version: str
    vm: Any  # flowmetal.vm.Task, or None when the task has ended
    status: str
    timers: dict[str, int] = field(default_factory=dict)
    state_value: bytes = b""  # the state record as last produced or loaded
    steps: int = 0  # steps taken so far; the next history event is steps + 1


@dataclass
class StepOutcome:
    """What handling one record produced; `task` is set when a task's state changed."""

    records: list[Record] = field(default_factory=list)
    task: LiveTask | None = None


class Engine:
    """Runs steps for the tasks of the owned partitions."""

    def __init__(
        self,
        settings: Settings,
        store: TaskStore,
        programs: Programs,
        timers: TimerIndex,
        limits: Any,
        host: ServiceHost | None = None,
        clock_ms: Callable[[], int] | None = None,
        task_class: Any = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.programs = programs
        self.timers = timers
        self.limits = limits
        self.host = host or ServiceHost(settings)
        self.clock_ms = clock_ms or (lambda: int(time.time() * 1000))
        # Most recently used last; trimmed between transactions (see `trim`).
        self.cache: OrderedDict[str, LiveTask] = OrderedDict()
        self._task_cls = task_class  # flowmetal.vm.Task unless a test gives a stand-in
        self.partitions = settings.partitions
        self.inbox_topic = settings.topic("inbox")

    # -- the cache ------------------------------------------------------------------------

    def drop(self, task_ids: set[str]) -> None:
        for task_id in task_ids:
            self.cache.pop(task_id, None)

    def drop_partition(self, partition: int) -> None:
        for task_id in [t for t, live in self.cache.items() if live.partition == partition]:
            del self.cache[task_id]

    def trim(self, limit: int) -> None:
        """Keep at most `limit` tasks in memory, dropping the least recently used.

        Only between transactions: then every cached task equals its stored state."""
        while len(self.cache) > limit:
            self.cache.popitem(last=False)

    def load(self, partition: int, task_id: str) -> LiveTask | None:
        """The task from the memory cache or the store, or None when it does not exist.

        Raises whatever restoring the VM raises (the caller dead-letters the record)."""
        live = self.cache.get(task_id)
        if live is not None:
            self.cache.move_to_end(task_id)
            return live
        value = self.store.get(partition, task_id)
        if value is None:
            return None
        record = wire.decode_state(value)
        vm = None
        if record.status not in FINAL_STATUSES:
            program = self.programs.compiled(record.program, record.version)
            vm = self._task_class().restore(
                record.snapshot, program, limits=self.limits, host=self.host
            )
        live = LiveTask(
            task_id,
            partition,
            record.program,
            record.version,
            vm,
            record.status,
            dict(record.timers),
            value,
            record.steps,
        )
        self.cache[task_id] = live
        return live

    def _task_class(self) -> Any:
        if self._task_cls is None:
            from flowmetal.vm import Task

            self._task_cls = Task
        return self._task_cls

    # -- one record -----------------------------------------------------------------------

    def handle(
        self, partition: int, offset: int, key: bytes | None, value: bytes | None
    ) -> StepOutcome:
        """Handle the inbox record at (`partition`, `offset`); see the module docstring."""
        try:
            message = wire.decode_message(value) if value is not None else None
        except wire.WireError as exc:
            return self._dead(key, value, partition, offset, f"undecodable inbox record: {exc}")
        if message is None:
            return self._dead(key, value, partition, offset, "inbox record without a value")
        if message.kind not in MESSAGE_KINDS:
            reason = f"unknown message kind {message.kind!r}"
            return self._dead(key, value, partition, offset, reason)
        if partition_for(message.task_id, self.partitions) != partition:
            reason = f"message for task {message.task_id!r} is on the wrong partition {partition}"
            return self._dead(key, value, partition, offset, reason)
        try:
            live = self.load(partition, message.task_id)
        except Exception as exc:  # a program gone from the store, a snapshot we cannot read
            log.exception("cannot load task %s", message.task_id)
            reason = f"cannot load task {message.task_id!r}: {type(exc).__name__}: {exc}"
            return self._dead(key, value, partition, offset, reason)
        inbox = (partition, offset)
        if message.kind == "start":
            if live is not None:
                log.debug("duplicate start of %s ignored", message.task_id)
                return StepOutcome()
            return self._start(inbox, message)
        if live is None:
            reason = f"no task {message.task_id!r} ({message.kind} message)"
            return self._dead(key, value, partition, offset, reason)
        if live.vm is None:
            if message.kind in _INTERNAL_KINDS:
                return StepOutcome()
            reason = (
                f"task {message.task_id!r} has ended ({live.status}); {message.kind} not delivered"
            )
            return self._dead(key, value, partition, offset, reason)
        return self._step(live, inbox, message)

    def _dead(
        self, key: bytes | None, value: bytes | None, partition: int, offset: int, reason: str
    ) -> StepOutcome:
        log.warning("dead letter from %s[%d]@%d: %s", self.inbox_topic, partition, offset, reason)
        letter = wire.encode_dead_letter(key, value, reason, self.inbox_topic, partition, offset)
        return StepOutcome([Record(DLQ, key, letter)])

    def _start(self, inbox: tuple[int, int], message: Message) -> StepOutcome:
        partition = inbox[0]
        payload = message.payload if isinstance(message.payload, dict) else {}
        name = str(payload.get("program") or "")
        version = str(payload.get("version") or "")
        parent, parent_request = payload.get("parent"), payload.get("parent_request")
        if not isinstance(parent, str | None) or not isinstance(parent_request, str | None):
            # Hand-made start records only: a parent that is not a task id cannot be told.
            parent, parent_request = None, None
        live = LiveTask(message.task_id, partition, name, version, None, "running")
        try:
            program = self.programs.compiled(name, version or None)
            live.version = program.version if getattr(program, "version", None) else version
            live.vm = self._task_class().new(
                program,
                message.task_id,
                entry=str(payload.get("entry") or "main"),
                args=list(payload.get("args") or []),
                kwargs=dict(payload.get("kwargs") or {}),
                parent=parent,
                parent_request=parent_request,
                limits=self.limits,
                host=self.host,
            )
        except Exception as exc:  # no such program or version, an entry that does not exist
            error = TaskError(type(exc).__name__, f"cannot start task: {exc}")
            result = StepResult("failed", error=error)
            result.effects.append(finished_effect(message.task_id, parent, parent_request, error))
            return self._finish_failure(live, inbox, message, result)
        self.cache[message.task_id] = live
        return self._step(live, inbox, message)

    def _step(self, live: LiveTask, inbox: tuple[int, int], message: Message) -> StepOutcome:
        if message.kind == "timer" and message.request_id is not None:
            live.timers.pop(message.request_id, None)
        # The parent to tell if the step fails below; a final step drops the VM.
        parent = getattr(live.vm, "parent", None)
        parent_request = getattr(live.vm, "parent_request", None)
        try:
            result = live.vm.step(message)
            snapshot = b"" if result.status in FINAL_STATUSES else live.vm.snapshot()
        except Exception as exc:  # a bug of ours or a limit the VM did not turn into an error
            log.exception("step of task %s failed inside the interpreter", live.task_id)
            failed = _failure(live.task_id, parent, parent_request, "run this step", exc)
            return self._finish_failure(live, inbox, message, failed)
        try:
            return self._finish(live, inbox, message, result, snapshot)
        except Exception as exc:  # records the wire or the broker refuses: the task fails
            log.exception("the step of task %s cannot be stored or sent", live.task_id)
            failed = _failure(live.task_id, parent, parent_request, "store this step", exc)
            return self._finish_failure(live, inbox, message, failed)

    def _finish_failure(
        self, live: LiveTask, inbox: tuple[int, int], message: Message, failed: StepResult
    ) -> StepOutcome:
        """End the task as `failed` says; if even that cannot be stored (an error text the
        wire refuses, a parent id that is not one), end it with a plain error and no effects:
        the interpreter must never be left with a record it can only fail on."""
        try:
            return self._finish(live, inbox, message, failed, b"")
        except Exception:
            log.exception("task %s: its failure cannot be stored as it is", live.task_id)
            plain = TaskError("InternalError", "the interpreter could not store this step")
            return self._finish(live, inbox, message, StepResult("failed", error=plain), b"")

    def _finish(
        self,
        live: LiveTask,
        inbox: tuple[int, int],
        message: Message,
        result: StepResult,
        snapshot: bytes,
    ) -> StepOutcome:
        """The step's records: new state, effects, history. Raises, leaving `live` as it was,
        when one of them cannot be encoded or is past the broker's record size."""
        now = self.clock_ms()
        # The step's number. The counter travels in the state record, committed with the
        # history event, so a step redone after an abort or a crash gets the same number.
        seq = live.steps + 1
        routed = route(
            live.task_id,
            result,
            program=live.program,
            version=live.version,
            timers=live.timers,
            now_ms=now,
            step_seq=seq,
            latest_version=self.programs.latest_version,
        )
        final = result.status in FINAL_STATUSES
        timers = {} if final else routed.timers
        error = None
        if result.error is not None:
            error = wire.to_json_text(
                {
                    "type": result.error.type,
                    "message": result.error.message,
                    "traceback": result.error.traceback,
                }
            )
        state = wire.StateRecord(
            task_id=live.task_id,
            status=result.status,
            program=live.program,
            version=live.version,
            snapshot=snapshot,
            waiting_for=result.waiting_for,
            result=wire.to_json_text(result.result) if result.status == "done" else None,
            error=error,
            updated_ms=now,
            timers=tuple(sorted(timers.items())),
            steps=seq,
        )
        state_value = wire.encode_state(state)
        history = wire.encode_history(
            {
                "task_id": live.task_id,
                "seq": seq,
                "kind": result.status
                if final
                else ("started" if message.kind == "start" else "step"),
                "time": now,
                "detail": {
                    "message": {
                        "kind": message.kind,
                        "id": message.id,
                        "request_id": message.request_id,
                    },
                    "status": result.status,
                    "waiting_for": result.waiting_for,
                    "effects": routed.summary,
                    "output": result.output,
                    "result": result.result if result.status == "done" else None,
                    "error": None if error is None else wire.from_json_text(error),
                    "inbox": {"partition": inbox[0], "offset": inbox[1]},
                },
            }
        )
        records = [
            Record(STATE, live.task_id, state_value, partition=live.partition),
            *routed.records,
            Record(HISTORY, live.task_id, history),
        ]
        for record in records:  # the broker would refuse it, and the replay would again
            size = len(record.value or b"")
            if size > MAX_STEP_RECORD_BYTES:
                raise StepTooLarge(
                    f"a {record.topic} record of {size} bytes is past the limit of "
                    f"{MAX_STEP_RECORD_BYTES} (a result, message, request or printed text "
                    "that big cannot be stored)"
                )
        # Nothing above changed `live`: a failure there leaves the task as it was.
        live.status = result.status
        live.steps = seq
        live.timers = timers
        if final:
            live.vm = None
        live.state_value = state_value
        self.cache[live.task_id] = live
        self.timers.set_task(live.partition, live.task_id, live.timers)
        return StepOutcome(records, live)

    # -- timers ---------------------------------------------------------------------------

    def fire(self, partition: int, due: Deadline) -> Record:
        """The `timer` message of a due timer, into the task's inbox."""
        message = Message(due.task_id, "timer", f"{due.timer_id}:fired", due.timer_id, None)
        return message_record(message)
