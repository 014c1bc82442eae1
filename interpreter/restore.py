"""Restore a partition's task states when the interpreter takes it over.

The `state` topic is the changelog of every task; the store (store.py) is a
local cache of it with a checkpoint per partition. Taking over partition P:

1. the loop pauses P's inbox (nothing is processed before the state is whole);
2. it asks the group for P's committed inbox offset first: under
   read_committed that call waits while a previous owner's transaction with
   offsets for P is still open, so every state record that transaction
   carries is decided (committed or aborted) before we look at `state`;
3. the end of the replay is P's last stable offset of `state`, which is what
   a read_committed consumer's watermark query returns: records of a
   still-open transaction beyond it belong to a zombie and will be aborted;
4. the replay starts at the store's checkpoint, or at the beginning of
   `state` when there is no usable checkpoint (none, or outside the topic's
   offsets: the topic was recreated or truncated), in which case the
   partition's cached data is wiped first;
5. records are applied to the store in batches, each with its checkpoint,
   until the consumer's *position* reaches the end (the position moves past
   transaction markers, which are offsets that never show up as records);
6. the deadline index is reloaded from the store, and the loop resumes P.

Progress is logged every few seconds and the whole restore is timed, since a
restore that hangs or says nothing is the classic failure of such systems.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from flowmetal import wire
from flowmetal.config import STATE, Settings
from flowmetal.interpreter.store import StoredTask, TaskStore
from flowmetal.kafka import consumer_config

log = logging.getLogger(__name__)

APPLY_EVERY = 5_000  # records per store batch during a replay
PROGRESS_EVERY_S = 3.0


@dataclass(frozen=True)
class RestoreReport:
    """What one restore did, for logs and the benchmark."""

    partition: int
    source: str  # "cache" (checkpoint forward) or "state topic" (from the beginning)
    start_offset: int
    end_offset: int
    records: int
    seconds: float

    def describe(self) -> str:
        return (
            f"partition {self.partition}: restored from the {self.source}, offsets "
            f"{self.start_offset}..{self.end_offset} ({self.records} records) "
            f"in {self.seconds:.3f}s"
        )


def stored_from_value(value: bytes) -> StoredTask:
    """A `state` record value as the store keeps it (its timers feed the deadline index)."""
    record = wire.decode_state(value)
    return StoredTask(value=value, timers=tuple(record.timers))


class Restorer:
    """Replays `state` partitions into a store, with one group-less consumer it reuses."""

    def __init__(self, settings: Settings, store: TaskStore, timeout_s: float = 300.0) -> None:
        from confluent_kafka import Consumer

        self.settings = settings
        self.store = store
        self.timeout_s = timeout_s
        self.topic = settings.topic(STATE)
        self.reports: list[RestoreReport] = []  # every restore of this process, for logs and tests
        # assign() only: the group id is never joined, librdkafka just insists on one.
        config = consumer_config(
            settings,
            "flowmetal-restore",
            # Do not let the broker hold a fetch that only has a transaction marker to give.
            {"fetch.max.bytes": 64 << 20, "fetch.wait.max.ms": 10},
        )
        self._consumer: Any = Consumer(config)

    def close(self) -> None:
        self._consumer.close()

    def end_offsets(self, partition: int) -> tuple[int, int]:
        """(low, last stable) offsets of the partition of `state`."""
        from confluent_kafka import TopicPartition

        low, high = self._consumer.get_watermark_offsets(
            TopicPartition(self.topic, partition), timeout=30, cached=False
        )
        return int(low), int(high)

    def restore(self, partition: int) -> RestoreReport:
        """Bring the store's copy of `partition` up to the end of `state` (steps 3-5)."""
        started = time.monotonic()
        low, end = self.end_offsets(partition)
        checkpoint = self.store.checkpoint(partition)
        if checkpoint is not None and low <= checkpoint <= end:
            source, start = "cache", checkpoint
        else:
            if checkpoint is not None:
                log.warning(
                    "partition %d: cache checkpoint %d is outside the state topic's offsets "
                    "%d..%d (topic recreated or truncated?): rebuilding from the beginning",
                    partition,
                    checkpoint,
                    low,
                    end,
                )
            self.store.clear(partition)
            source, start = "state topic", low
        records = self._replay(partition, start, end, started)
        report = RestoreReport(
            partition=partition,
            source=source,
            start_offset=start,
            end_offset=end,
            records=records,
            seconds=time.monotonic() - started,
        )
        log.info("%s", report.describe())
        self.reports.append(report)
        return report

    def _replay(self, partition: int, start: int, end: int, started: float) -> int:
        from confluent_kafka import KafkaError, TopicPartition

        if start >= end:
            # Nothing to read, but the checkpoint must exist for the next time.
            self.store.apply(partition, {}, end)
            return 0
        tp = TopicPartition(self.topic, partition, start)
        self._consumer.assign([tp])
        changes: dict[str, StoredTask | None] = {}
        records = 0
        position = start
        last_progress = time.monotonic()
        try:
            while position < end:
                if time.monotonic() - started > self.timeout_s:
                    raise TimeoutError(
                        f"restoring partition {partition} of {self.topic} took more than "
                        f"{self.timeout_s:.0f}s (at offset {position} of {end})"
                    )
                for msg in self._consumer.consume(num_messages=5_000, timeout=0.05):
                    if msg.error():
                        if msg.error().code() == KafkaError._PARTITION_EOF:
                            continue
                        raise msg.error_as_exception()
                    records += 1
                    self._apply_record(changes, msg.key(), msg.value(), msg.offset())
                    if len(changes) >= APPLY_EVERY:
                        self.store.apply(partition, changes, msg.offset() + 1)
                        changes = {}
                position = self._position(partition, position)
                if time.monotonic() - last_progress > PROGRESS_EVERY_S:
                    last_progress = time.monotonic()
                    log.info(
                        "partition %d: restoring, offset %d of %d (%d records, %.1fs)",
                        partition,
                        position,
                        end,
                        records,
                        last_progress - started,
                    )
            self.store.apply(partition, changes, max(position, end))
        finally:
            self._consumer.unassign()
        return records

    def _position(self, partition: int, fallback: int) -> int:
        from confluent_kafka import TopicPartition

        (tp,) = self._consumer.position([TopicPartition(self.topic, partition)])
        return int(tp.offset) if tp.offset >= 0 else fallback

    def _apply_record(
        self,
        changes: dict[str, StoredTask | None],
        key: bytes | None,
        value: bytes | None,
        offset: int,
    ) -> None:
        if key is None:
            log.error("%s offset %d has no key: skipped", self.topic, offset)
            return
        task_id = key.decode("utf-8", errors="replace")
        if value is None:
            changes[task_id] = None  # a tombstone: the task was purged
            return
        try:
            changes[task_id] = stored_from_value(value)
        except wire.WireError as exc:
            # Not ours to fix here; the task keeps its previous state and the operator is told.
            log.error(
                "%s offset %d (task %s) cannot be decoded: %s", self.topic, offset, task_id, exc
            )
