"""The task client: start, follow, inspect, message and cancel tasks through Kafka.

What `flowmetal tasks ...` runs, and what tests and benchmarks use to drive
the interpreters. It speaks only the topics' wire format:

- `start` resolves the program's latest version in the program store and
  pins it in the `start` message (a task never changes version), with a
  client-chosen or generated task id; a second start with the same id is
  ignored by the interpreter, so starts can be retried safely;
- `send` and `cancel` produce `message` and `cancel` records to the inbox;
- `show` reads the task's latest `state` record: the state topic partition
  of the task (inbox and state are co-partitioned by task id) from the
  beginning to its last stable offset;
- `wait` follows that partition from a given offset until the task's state
  is final; `history` collects the task's events from `history`.

Reads use read_committed consumers without a group (assign only): a client
sees only what committed transactions wrote.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

from flowmetal import wire
from flowmetal.config import HISTORY, INBOX, STATE, Settings
from flowmetal.errors import ServiceError
from flowmetal.interpreter.effects import message_record, start_payload
from flowmetal.kafka import consumer_config, partition_for, producer_config
from flowmetal.protocol import FINAL_STATUSES, JSON, Message


class WaitTimeout(ServiceError):
    """The task did not end within the time the caller was ready to wait."""


def new_task_id() -> str:
    return f"t-{uuid.uuid4().hex[:20]}"


class TaskClient:
    """A small synchronous client; `close()` it (or use it as a context manager)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._producer: Any = None
        self._partitions: int | None = None
        self._versions: dict[str, str] = {}

    def __enter__(self) -> TaskClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(10)
            self._producer = None

    # -- writing --------------------------------------------------------------------------

    def partitions(self) -> int:
        """The inbox's partition count (the state topic has the same)."""
        if self._partitions is None:
            from flowmetal.kafka import admin, partition_counts

            counts = partition_counts(admin(self.settings))
            inbox = self.settings.topic(INBOX)
            if inbox not in counts:
                raise ServiceError(f"topic {inbox} does not exist: run `flowmetal topics ensure`")
            self._partitions = counts[inbox]
        return self._partitions

    def partition_of(self, task_id: str) -> int:
        return partition_for(task_id, self.partitions())

    def send_message(self, message: Message) -> None:
        """Produce one inbox record and wait until it is stored."""
        from confluent_kafka import Producer

        if self._producer is None:
            self._producer = Producer(producer_config(self.settings))
        record = message_record(message)
        errors: list[Any] = []
        self._producer.produce(
            self.settings.topic(INBOX),
            key=record.key,
            value=record.value,
            headers=record.headers,
            on_delivery=lambda err, _msg: errors.append(err) if err else None,
        )
        if self._producer.flush(30) or errors:
            raise ServiceError(
                f"could not deliver the {message.kind} message: {errors or 'timeout'}"
            )

    def start(
        self,
        program: str,
        args: list[JSON] | None = None,
        kwargs: dict[str, JSON] | None = None,
        task_id: str | None = None,
        entry: str = "main",
        version: str | None = None,
    ) -> tuple[str, str]:
        """Start a task of `program`'s latest (or the given) version; return (task id, version)."""
        from flowmetal.programs import ProgramTable

        if version is None:
            # Resolved once per client: a batch of starts pins one version.
            version = self._versions.get(program)
            if version is None:
                with ProgramTable(self.settings) as table:
                    version = table.get_record(program).version
                self._versions[program] = version
        task_id = task_id or new_task_id()
        payload = start_payload(program, version, entry, list(args or []), dict(kwargs or {}))
        self.send_message(Message(task_id, "start", f"start-{uuid.uuid4().hex}", None, payload))
        return task_id, version

    def send(self, task_id: str, value: JSON) -> None:
        """Send `value` to the task, as flow.task.send would (from nobody)."""
        payload = {"from": None, "value": value}
        self.send_message(Message(task_id, "message", f"send-{uuid.uuid4().hex}", None, payload))

    def cancel(self, task_id: str, reason: str = "cancelled by the task client") -> None:
        self.send_message(
            Message(task_id, "cancel", f"cancel-{uuid.uuid4().hex}", None, {"reason": reason})
        )

    # -- reading --------------------------------------------------------------------------

    def _consumer(self) -> Any:
        from confluent_kafka import Consumer

        return Consumer(consumer_config(self.settings, f"flowmetal-client-{uuid.uuid4().hex}"))

    def state_end(self, task_id: str) -> int:
        """The last stable offset of the task's state partition: `wait` from here."""
        from confluent_kafka import TopicPartition

        consumer = self._consumer()
        try:
            tp = TopicPartition(self.settings.topic(STATE), self.partition_of(task_id))
            return int(consumer.get_watermark_offsets(tp, timeout=30, cached=False)[1])
        finally:
            consumer.close()

    def _records(
        self, topic: str, task_id: str, start: int | None, until_end: bool, timeout: float
    ) -> Iterator[Any]:
        """The records of `task_id`'s partition of `topic` with its key, from `start`
        (None: the beginning), to the partition's end (`until_end`) or forever."""
        from confluent_kafka import OFFSET_BEGINNING, TopicPartition

        partition = self.partition_of(task_id)
        consumer = self._consumer()
        key = task_id.encode()
        try:
            tp = TopicPartition(topic, partition)
            end = int(consumer.get_watermark_offsets(tp, timeout=30, cached=False)[1])
            begin = OFFSET_BEGINNING if start is None else start
            consumer.assign([TopicPartition(topic, partition, begin)])
            deadline = time.monotonic() + timeout
            while True:
                if until_end:
                    (pos,) = consumer.position([tp])
                    if end == 0 or (pos.offset >= 0 and pos.offset >= end):
                        return
                if time.monotonic() > deadline:
                    raise WaitTimeout(f"no answer from {topic} within {timeout:.0f}s")
                msg = consumer.poll(0.2)
                if msg is None:
                    continue
                if msg.error():
                    raise ServiceError(f"reading {topic}: {msg.error()}")
                if msg.key() == key:
                    yield msg
        finally:
            consumer.close()

    def show(self, task_id: str, timeout: float = 60.0) -> wire.StateRecord | None:
        """The task's latest state, or None when the state topic has none."""
        latest: wire.StateRecord | None = None
        for msg in self._records(self.settings.topic(STATE), task_id, None, True, timeout):
            latest = None if msg.value() is None else wire.decode_state(msg.value())
        return latest

    def wait(self, task_id: str, timeout: float, start: int | None = None) -> wire.StateRecord:
        """Follow the task's state from `start` until it is final; raise WaitTimeout."""
        for msg in self._records(self.settings.topic(STATE), task_id, start, False, timeout):
            if msg.value() is None:
                continue
            record = wire.decode_state(msg.value())
            if record.status in FINAL_STATUSES:
                return record
        raise WaitTimeout(f"task {task_id} did not end")  # pragma: no cover -- loop is endless

    def history(self, task_id: str, timeout: float = 60.0) -> list[dict[str, Any]]:
        """The task's history events, by seq."""
        events = [
            wire.decode_history(msg.value())
            for msg in self._records(self.settings.topic(HISTORY), task_id, None, True, timeout)
            if msg.value() is not None
        ]
        return sorted(events, key=lambda e: e["seq"])

    def run(
        self,
        program: str,
        args: list[JSON] | None = None,
        task_id: str | None = None,
        timeout: float = 60.0,
        kwargs: dict[str, JSON] | None = None,
    ) -> wire.StateRecord:
        """Start a task and wait until it ends (an existing, ended task answers at once)."""
        if task_id is not None:
            known = self.show(task_id, timeout)
            if known is not None and known.status in FINAL_STATUSES:
                return known
            start = self.state_end(task_id)
        else:
            task_id = new_task_id()
            start = self.state_end(task_id)
        self.start(program, args, kwargs, task_id)
        return self.wait(task_id, timeout, start)
