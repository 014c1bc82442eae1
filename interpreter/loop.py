"""The consume–transform–produce loop of one interpreter process (DESIGN.md, exactly-once).

One consumer in the interpreters' group over `inbox` (read_committed, no
auto-commit) and one transactional producer. A batch is one transaction:

1. consume records, in offset order, and hand each to the engine, which runs
   one step and returns its records; produce them in the open transaction
   (the transaction begins with the first record, so idle time commits nothing);
2. produce `timer` messages for the timers that are due;
3. when the batch is full (`batch` records), old (`commit_ms`), or (with
   `idle_commit`, the default) the consumer has nothing more at hand, send
   the offsets after the records it handled to the transaction and commit
   it (not the consumer's positions: see `_offsets`). Under a steady
   stream of input, batches fill up to the interval or the size (throughput);
   when the input runs dry, the outputs become visible at once (latency);
4. only then write the touched tasks' states to the store (RocksDB), with the
   partition's checkpoint = 1 + the highest `state` offset of the transaction.

Why step 4 comes after the commit, and takes its offsets from delivery
reports: the store must never hold a state the log does not, or a restart
would resume a task from a step that never happened. The transaction's state
records get their offsets when delivered (transaction.py flushes before it
commits), which is exactly where the store's copy stands after the commit. A
crash between step 3 and step 4 leaves the store behind, never ahead, and the
replay from its checkpoint (restore.py) catches up.

Errors: retriable ones are retried in transaction.py; on an abortable one the
loop aborts, drops the cached tasks of the batch, reloads the deadline index
from the store and seeks the consumer back to the committed offsets; fatal or
fenced ones end the process with a non-zero exit (crash-only: the group hands
the partitions to someone else). Rebalances: on assignment, restore.py
restores each partition while it is paused; on revocation the open
transaction is committed (or aborted) first and the partitions' cache dropped;
on loss it is aborted. Callbacks run inside consume(), so a batch may hold
records fetched before a rebalance: the loop commits the offsets of what it
handled (never the consumer's positions) and skips a record below the next
offset it expects from a partition (a second copy after a rewind).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

from flowmetal.config import DLQ, INBOX, Settings
from flowmetal.interpreter.engine import Engine, LiveTask
from flowmetal.interpreter.hosting import Programs, ServiceHost
from flowmetal.interpreter.restore import Restorer
from flowmetal.interpreter.store import StoredTask, TaskStore
from flowmetal.interpreter.timers import TimerIndex
from flowmetal.interpreter.transaction import AbortableError, FatalError, TransactionalProducer
from flowmetal.kafka import consumer_config
from flowmetal.metrics import Histogram

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoopOptions:
    """The service's knobs; `batch` and `commit_ms` are the throughput/latency dial."""

    group: str = "flowmetal.interpreter"  # the service's default: <topic prefix>interpreter
    batch: int = 1000  # records per transaction, at most
    commit_ms: int = 100  # how long a transaction collects records, at most
    session_timeout_ms: int = 10_000
    transaction_timeout_ms: int = 10_000
    instance_id: str = ""  # a stable id makes a restarted process fence its predecessor
    timers_per_batch: int = 1000
    cache_tasks: int = 20_000  # live tasks kept in memory between transactions
    # Commit as soon as no more input is at hand, instead of waiting out commit_ms: a
    # step's outputs (often the next step's input) become visible at once.
    idle_commit: bool = True

    def transactional_id(self) -> str:
        if self.instance_id:
            return f"{self.group}.{self.instance_id}"
        unique = f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        return f"{self.group}.{unique}"


class Interpreter:
    """One interpreter process's loop: `run()` until `stop()`, raising FatalError on fencing."""

    def __init__(
        self,
        settings: Settings,
        options: LoopOptions,
        store: TaskStore,
        programs: Programs,
        limits: Any,
        task_class: Any = None,
    ) -> None:
        from confluent_kafka import Consumer

        self.settings = settings
        self.options = options
        self.store = store
        self.timers = TimerIndex()
        self.engine = Engine(
            settings,
            store,
            programs,
            self.timers,
            limits,
            ServiceHost(settings),
            task_class=task_class,
        )
        self.restorer = Restorer(settings, store)
        self.inbox = settings.topic(INBOX)
        session = options.session_timeout_ms
        self.consumer: Any = Consumer(
            consumer_config(
                settings,
                options.group,
                {
                    "session.timeout.ms": session,
                    "heartbeat.interval.ms": max(100, session // 5),
                    # A restore of a big partition runs inside the assignment callback.
                    "max.poll.interval.ms": 900_000,
                    "fetch.wait.max.ms": 100,
                },
            )
        )
        self.txn = TransactionalProducer(
            settings,
            options.transactional_id(),
            options.transaction_timeout_ms,
            {"linger.ms": 1},
        )
        self._touched: dict[str, LiveTask] = {}
        self._consumed = 0
        # partition -> offset after the last record handled in the open transaction:
        # what the commit sends as the group's offsets.
        self._offsets: dict[int, int] = {}
        # partition -> the next offset this owner has to handle; a record below it was
        # fetched twice (a rebalance or a rewind in between) and is skipped.
        self._expect: dict[int, int] = {}
        self._stopping = False
        self._fatal = False
        self._crashed = False  # an unexpected error: nothing open may commit on the way out
        self.owned: set[int] = set()
        # Totals since start, for the log line and the metrics (interpreter/metrics.py).
        self.stats = {"steps": 0, "commits": 0, "aborts": 0, "timers": 0, "dead_letters": 0}
        self.step_seconds = Histogram(
            "flowmetal_interpreter_step_seconds",
            "Time to handle one inbox record: decode it, run the step, encode the snapshot.",
        )
        self.commit_seconds = Histogram(
            "flowmetal_interpreter_commit_seconds",
            "Time to commit one transaction: flush, send the offsets, commit.",
        )
        self._reported, self._reported_steps = time.monotonic(), 0

    # -- life cycle -----------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the loop to finish its transaction and return (safe from a signal handler)."""
        self._stopping = True

    def run(self) -> None:
        self.txn.init()
        self.consumer.subscribe(
            [self.inbox],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )
        log.info(
            "interpreter %s consuming %s in group %s (batch %d, commit every %d ms)",
            self.txn.transactional_id,
            self.inbox,
            self.options.group,
            self.options.batch,
            self.options.commit_ms,
        )
        try:
            while not self._stopping:
                self._poll_once()
            self._finish_open(commit=True)
        except FatalError:
            self._fatal = True
            raise
        except BaseException:
            # Crash-only: the error may have struck between a record's outputs, and
            # consumer.close() below revokes the partitions, which would commit them.
            self._crashed = True
            raise
        finally:
            self._close()

    def _close(self) -> None:
        try:
            # Leaves the group so the partitions move on at once; after a fatal error the
            # revocation callback only drops state (see _finish_open).
            self.consumer.close()
        except Exception as exc:  # closing must not hide the reason we are closing
            log.warning("closing the consumer: %s", exc)
        self.restorer.close()
        self.txn.close(broken=self._fatal)
        self.engine.programs.close()
        self.store.close()

    # -- one turn -------------------------------------------------------------------------

    def _poll_timeout(self) -> float:
        if self.txn.open:
            left = self.options.commit_ms / 1000 - (time.monotonic() - self.txn.started)
            return max(0.0, left)
        wait = 0.2
        next_due = self.timers.next_deadline()
        if next_due is not None:
            wait = min(wait, max(0.0, next_due / 1000 - time.time()))
        return wait

    def _poll_once(self) -> None:
        from confluent_kafka import KafkaError

        timeout = self._poll_timeout()
        room = max(1, self.options.batch - self._consumed)
        if self.txn.open:
            # With idle commits, take only what is already fetched: nothing there means the
            # input is drained and waiting longer would only delay this batch's outputs.
            wait = 0 if self.options.idle_commit else timeout
            messages = self.consumer.consume(num_messages=min(room, 500), timeout=wait)
            drained = not messages
        else:
            # Idle: wake on the first record, then take what is already fetched.
            first = self.consumer.poll(timeout)
            messages = [] if first is None else [first]
            if first is not None and room > 1:
                # A rebalance inside this call may rewind a partition to its committed
                # offset: records then come twice, and `_handle` skips the second copies.
                messages += self.consumer.consume(num_messages=min(room - 1, 500), timeout=0)
            drained = False
        try:
            for msg in messages:
                err = msg.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        continue
                    if err.fatal():
                        raise FatalError(f"consumer failed fatally: {err}")
                    log.warning("consumer error: %s", err)
                    continue
                self._handle(msg)
            self._fire_timers()
            if self.txn.open and (self._batch_done() or (drained and self.options.idle_commit)):
                self._commit()
        except AbortableError as exc:
            log.warning("aborting the transaction: %s", exc)
            self._abort_and_rewind()

    def _batch_done(self) -> bool:
        if self._consumed >= self.options.batch:
            return True
        return (time.monotonic() - self.txn.started) * 1000 >= self.options.commit_ms

    def _handle(self, msg: Any) -> None:
        partition, offset = msg.partition(), msg.offset()
        if partition not in self.owned:
            return  # fetched before a revocation; the next owner reads it again
        if offset < self._expect.get(partition, offset):
            return  # handled already: fetched again after a rebalance or a rewind
        began = time.monotonic()
        outcome = self.engine.handle(partition, offset, msg.key(), msg.value())
        self.step_seconds.observe(time.monotonic() - began)
        self.txn.begin()  # a record with no output still moves the offsets
        for record in outcome.records:
            self.txn.produce(record)
            if record.topic == DLQ:
                self.stats["dead_letters"] += 1
        if outcome.task is not None:
            self._touched[outcome.task.task_id] = outcome.task
            self.stats["steps"] += 1
        self._consumed += 1
        self._offsets[partition] = self._expect[partition] = offset + 1

    def _fire_timers(self) -> None:
        now_ms = int(time.time() * 1000)
        for partition, due in self.timers.due(now_ms, self.options.timers_per_batch):
            self.txn.produce(self.engine.fire(partition, due))
            self.stats["timers"] += 1

    # -- commit and abort -----------------------------------------------------------------

    def _offset_list(self) -> list[Any]:
        """The group offsets of the open transaction: just after the records it handled.

        Not the consumer's positions: a rebalance callback runs inside consume(), after
        the records collected so far moved the positions but before the loop handled
        them, and committing positions there would skip those records for good."""
        from confluent_kafka import TopicPartition

        return [TopicPartition(self.inbox, p, o) for p, o in sorted(self._offsets.items())]

    def _reset_batch(self) -> None:
        self._touched, self._consumed, self._offsets = {}, 0, {}

    def _commit(self) -> None:
        offsets = self._offset_list()
        began = time.monotonic()
        state_offsets = self.txn.commit(offsets, self.consumer.consumer_group_metadata())
        self.commit_seconds.observe(time.monotonic() - began)
        self.stats["commits"] += 1
        touched = self._touched
        self._reset_batch()
        self._write_store(touched, state_offsets)
        self.engine.trim(self.options.cache_tasks)
        self._report()

    def _report(self) -> None:
        """A line of throughput every so often, for operators."""
        now = time.monotonic()
        if now - self._reported < 30:
            return
        steps = self.stats["steps"] - self._reported_steps
        log.info(
            "%.1f steps/s over the last %.0fs; totals %s; %d tasks cached, %d timers pending",
            steps / (now - self._reported),
            now - self._reported,
            self.stats,
            len(self.engine.cache),
            self.timers.count(),
        )
        self._reported, self._reported_steps = now, self.stats["steps"]

    def _write_store(self, touched: dict[str, LiveTask], state_offsets: dict[int, int]) -> None:
        """Step 4: the committed states into the store, with their checkpoints."""
        by_partition: dict[int, dict[str, StoredTask | None]] = {}
        for live in touched.values():
            stored = StoredTask(live.state_value, tuple(sorted(live.timers.items())))
            by_partition.setdefault(live.partition, {})[live.task_id] = stored
        for partition, changes in by_partition.items():
            last = state_offsets.get(partition)
            if last is not None:
                checkpoint = last + 1
            else:  # cannot happen after a flush; keep the old checkpoint, replay is idempotent
                checkpoint = self.store.checkpoint(partition) or 0
            self.store.apply(partition, changes, checkpoint)

    def _abort_and_rewind(self) -> None:
        """Abort, forget the batch's tasks, re-arm the timers, and read the batch again."""
        from confluent_kafka import OFFSET_BEGINNING, TopicPartition

        self.stats["aborts"] += 1
        self.txn.abort()
        self.engine.drop(set(self._touched))
        self._reset_batch()
        for partition in self.owned:
            self.timers.load(partition, self.store.deadlines(partition))
        assignment = self.consumer.assignment()
        if assignment:
            for tp in self.consumer.committed(assignment, timeout=30):
                self._expect_from(tp)
                offset = tp.offset if tp.offset >= 0 else OFFSET_BEGINNING
                self.consumer.seek(TopicPartition(tp.topic, tp.partition, offset))

    def _expect_from(self, committed: Any) -> None:
        """Handle `committed.partition` from its committed offset on (unknown: from any)."""
        if committed.offset >= 0:
            self._expect[committed.partition] = committed.offset
        else:
            self._expect.pop(committed.partition, None)

    def _finish_open(self, commit: bool) -> None:
        """Commit (or abort) the open transaction before the partitions go."""
        if not self.txn.open:
            return
        if self._fatal:  # the producer is gone; the broker aborts the transaction
            self.engine.drop(set(self._touched))
            self._reset_batch()
            return
        if commit and not self._crashed:
            try:
                self._commit()
                return
            except AbortableError as exc:
                log.warning("could not commit before giving the partitions up: %s", exc)
        self.stats["aborts"] += 1
        self.txn.abort()
        self.engine.drop(set(self._touched))
        self._reset_batch()

    # -- rebalancing ----------------------------------------------------------------------

    def _on_assign(self, consumer: Any, partitions: list[Any]) -> None:
        from confluent_kafka import KafkaException

        numbers = sorted(tp.partition for tp in partitions)
        log.info("assigned %s partitions %s", self.inbox, numbers)
        consumer.assign(partitions)
        consumer.pause(partitions)
        # Under read_committed this waits out a previous owner's pending offset commit
        # (KIP-447), so the state topic holds everything that commit covered.
        wait = max(60.0, 2 * self.options.transaction_timeout_ms / 1000)
        for tp in partitions:
            self._expect.pop(tp.partition, None)
        try:
            for tp in consumer.committed(partitions, timeout=wait):
                self._expect_from(tp)  # where the consumer starts: records before are stale
        except KafkaException as exc:
            # Still unstable after twice the transaction timeout: go on with what is stable;
            # the consumer's own offset fetch waits for the same transaction.
            log.warning("committed offsets of %s not stable after %.0fs: %s", numbers, wait, exc)
        for partition in numbers:
            self.engine.drop_partition(partition)
            self.restorer.restore(partition)
            count = self.timers.load(partition, self.store.deadlines(partition))
            log.info("partition %d: %d pending timers", partition, count)
            self.owned.add(partition)
        consumer.resume(partitions)

    def _on_revoke(self, consumer: Any, partitions: list[Any]) -> None:
        log.info("revoked %s partitions %s", self.inbox, sorted(tp.partition for tp in partitions))
        self._finish_open(commit=True)
        self._forget(partitions)

    def _on_lost(self, consumer: Any, partitions: list[Any]) -> None:
        log.warning("lost %s partitions %s", self.inbox, sorted(tp.partition for tp in partitions))
        self._finish_open(commit=False)
        self._forget(partitions)

    def _forget(self, partitions: list[Any]) -> None:
        for tp in partitions:
            self.owned.discard(tp.partition)
            self._expect.pop(tp.partition, None)
            self.engine.drop_partition(tp.partition)
            self.timers.drop(tp.partition)
