"""The connector runtime: serve one request kind from `outbox`, answer into `inbox`, exactly once.

One consumer group per kind over `outbox` (group id `<prefix>connector.<kind>`)
and one transactional producer per process. The loop:

 1. poll a batch of outbox records; a record whose `flowmetal-kind` header
    names another kind is skipped without being decoded (it still counts as
    processed); an undecodable one becomes a dead letter; every request of
    our kind starts an asyncio task (`sdk.serve`: timeout, retries) — up to
    `max_in_flight` at once, beyond which the partitions are paused;
 2. at most once per `commit_interval` (at once when the last transaction is
    older than that), per partition, take the finished requests at the front
    (in offset order) up to the oldest unfinished one;
 3. in one Kafka transaction: produce their responses to the tasks' inbox
    partitions (and the dead letters to `dlq`), send the new consumer offsets
    (the oldest unfinished offset, or one past the last record seen) with the
    group metadata, commit.

A response is produced only in the transaction that commits its request's
offset, so a crash anywhere re-runs the uncommitted requests (the external
call is at-least-once) but a task sees exactly one response per request.
The price: a slow request holds back the finished responses behind it on
its partition until it finishes or times out.

Kafka errors: retriable → retry the call; abortable → abort, cancel the
in-flight work, seek back to the committed offsets; fatal or fenced → raise
(the process exits non-zero and the group hands its partitions on).
SIGTERM: stop polling, let in-flight requests finish, commit, exit 0.

All Kafka calls run one at a time on a single worker thread (rebalance
callbacks included, as they run inside `consume`); the handlers run on the
event loop and only mark their entry finished.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)

from flowmetal import wire
from flowmetal.config import DLQ, INBOX, OUTBOX, Settings
from flowmetal.connectors import sdk
from flowmetal.errors import ServiceError
from flowmetal.kafka import MAX_RECORD_BYTES, ensure_topics
from flowmetal.metrics import Histogram, MetricsServer, port_from_env
from flowmetal.protocol import JSON, Message, Request

log = logging.getLogger(__name__)

# Below the topics' max.message.bytes (flowmetal.kafka.MAX_RECORD_BYTES), with room for
# the key, headers and batch overhead.
MAX_RESPONSE_BYTES = MAX_RECORD_BYTES - 64 * 1024


@dataclass
class _Out:
    """One record to produce when its request's offset is committed."""

    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, str | bytes | None]]


@dataclass
class _Entry:
    """A record of our kind: in flight until `done`, then its records wait for the commit."""

    offset: int
    out: list[_Out] = field(default_factory=list)
    done: bool = False
    task: asyncio.Task[None] | None = None


class _Partition:
    """The records of one outbox partition between the committed offset and the last seen."""

    def __init__(self) -> None:
        self.entries: deque[_Entry] = deque()
        self.next_offset: int | None = None  # one past the last record seen
        self.committed: int | None = None  # what we last committed

    def take_ready(self) -> tuple[list[_Out], int | None]:
        """Pop the finished entries at the front; (their records, the offset to commit or None)."""
        out: list[_Out] = []
        while self.entries and self.entries[0].done:
            out.extend(self.entries.popleft().out)
        commit = self.entries[0].offset if self.entries else self.next_offset
        return out, (commit if commit is not None and commit != self.committed else None)

    def cancel(self) -> None:
        for entry in self.entries:
            if entry.task is not None and not entry.done:
                entry.task.cancel()


class ConnectorRuntime:
    """Runs one connector against Kafka until `stop()`; see the module docstring."""

    def __init__(
        self,
        connector: Any,
        settings: Settings,
        group_id: str | None = None,
        *,
        max_in_flight: int | None = None,
        commit_interval: float = 0.05,
        transactional_id: str | None = None,
        drain_timeout: float = 30.0,
    ) -> None:
        kind = getattr(connector, "kind", "")
        if not isinstance(kind, str) or not kind:
            raise ServiceError(f"connector {connector!r} has no kind")
        self.connector = connector
        self.kind = kind
        self.settings = settings
        self.group_id = group_id or f"{settings.topic_prefix}connector.{kind}"
        self.max_in_flight = max_in_flight or int(getattr(connector, "max_in_flight", 1000))
        self.commit_interval = commit_interval
        self.transactional_id = transactional_id or f"{self.group_id}.{uuid.uuid4().hex[:12]}"
        self.drain_timeout = drain_timeout
        self.outbox = settings.topic(OUTBOX)
        self.inbox = settings.topic(INBOX)
        self.dlq = settings.topic(DLQ)
        self._parts: dict[int, _Partition] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._paused = False
        self._stopping = False
        self._failed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kafka = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kafka")
        self._consumer: Consumer | None = None
        self._producer: Producer | None = None
        # Totals for logs, benchmarks and metrics (connectors/metrics.py).
        self.served = 0  # responses committed
        self.dead_letters = 0  # undecodable requests committed to the dead-letter topic
        self.request_seconds = Histogram(
            "flowmetal_connector_request_seconds",
            "Time to serve one request, retries and backoff included, by connector kind.",
            labels={"kind": kind},
        )

    def stop(self) -> None:
        """Ask the loop to drain and exit; safe from a signal handler."""
        self._stopping = True

    # -- the loop ------------------------------------------------------------------------

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        await _maybe_call(self.connector, "start")
        try:
            await self._call(self._open)
            log.info(
                "connector %s: group %s, transactional id %s, consuming %s",
                self.kind,
                self.group_id,
                self.transactional_id,
                self.outbox,
            )
            last_flush = time.monotonic()
            while not self._stopping:
                self._apply_backpressure()
                busy = any(p.entries for p in self._parts.values())
                timeout = self.commit_interval / 2 if busy else 0.25
                free = self.max_in_flight - self.held()
                batch = await self._call(self._consume, max(1, min(500, free)), timeout)
                for record in batch:
                    self._accept(record)
                if batch:
                    await asyncio.sleep(0)  # quick handlers finish now, in this transaction
                if time.monotonic() - last_flush >= self.commit_interval:
                    outcome = await self._call(self._flush)
                    if outcome is not None:  # the interval runs from the last transaction
                        last_flush = time.monotonic()
                    if outcome is False:
                        await self._call(self._rewind)
            await self._drain()
        except KafkaException as exc:
            self._failed = True
            raise ServiceError(f"connector {self.kind}: Kafka error: {exc.args[0]}") from exc
        except SystemError as exc:  # confluent-kafka's way to fail on a broken producer
            self._failed = True
            raise ServiceError(f"connector {self.kind}: the Kafka client failed: {exc}") from exc
        except BaseException:
            self._failed = True  # no more transactions: the close below must not try one
            raise
        finally:
            for task in list(self._tasks):
                task.cancel()
            await self._call(self._close)
            self._kafka.shutdown(wait=True)
            await _maybe_call(self.connector, "close")
        log.info("connector %s stopped after %d responses", self.kind, self.served)

    async def _drain(self) -> None:
        """SIGTERM: stop taking records, let the in-flight requests finish, commit them."""
        log.info("connector %s draining %d in-flight requests", self.kind, len(self._tasks))
        if self._consumer is not None:
            await self._call(self._pause_all)
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=self.drain_timeout)
        await self._call(self._flush)

    async def _call(self, fn: Any, *args: Any) -> Any:
        assert self._loop is not None
        return await self._loop.run_in_executor(self._kafka, fn, *args)

    def _pause_all(self) -> None:
        if self._consumer is not None:
            self._consumer.pause(self._consumer.assignment())

    def held(self) -> int:
        """Requests held: being served, or done and waiting for their commit. Safe to call
        from another thread (the metrics page): list() copies the values in one step."""
        return sum(len(p.entries) for p in list(self._parts.values()))

    def _apply_backpressure(self) -> None:
        held = self.held()
        consumer = self._consumer
        if consumer is None:
            return
        if not self._paused and held >= self.max_in_flight:
            consumer.pause(consumer.assignment())
            self._paused = True
        elif self._paused and held < self.max_in_flight:
            consumer.resume(consumer.assignment())
            self._paused = False

    # -- records in ----------------------------------------------------------------------

    def _accept(self, record: Any) -> None:
        part = self._parts.setdefault(record.partition(), _Partition())
        offset = record.offset()
        if part.next_offset is not None and offset < part.next_offset:
            # Seen already (a fetch resumed behind our position): serving it twice would
            # answer twice.
            log.warning("outbox %d@%d delivered again; ignored", record.partition(), offset)
            return
        part.next_offset = offset + 1
        header_kind = wire.kind_of(record.headers())
        if header_kind is not None and header_kind != self.kind:
            return  # not ours: nothing to do but let the commit pass over it
        try:
            request = wire.decode_request(record.value())
        except wire.WireError as exc:
            log.warning("outbox %d@%d is undecodable: %s", record.partition(), offset, exc)
            dead = wire.encode_dead_letter(
                record.key(), record.value(), str(exc), record.topic(), record.partition(), offset
            )
            part.entries.append(_Entry(offset, [_Out(self.dlq, record.key(), dead, [])], done=True))
            return
        if header_kind is None and request.kind != self.kind:
            return  # a writer that sets no header: the decoded kind decides
        entry = _Entry(offset)
        part.entries.append(entry)
        task = asyncio.get_running_loop().create_task(self._serve(entry, request))
        entry.task = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, entry: _Entry, request: Request) -> None:
        began = time.monotonic()
        payload = await sdk.serve(self.connector, request)
        self.request_seconds.observe(time.monotonic() - began)
        # Never leave an entry unfinished (it would hold its partition) nor hand Kafka a
        # record it refuses (the same request would fail every restart: a poison pill).
        try:
            out = self._response(request, payload)
            if len(out.value) > MAX_RESPONSE_BYTES:
                raise wire.WireError(
                    f"result too large: {len(out.value)} bytes encoded, the limit is "
                    f"{MAX_RESPONSE_BYTES}"
                )
        except wire.WireError as exc:
            out = self._response(request, sdk.error("ConnectorError", str(exc)))
        entry.out = [out]
        entry.done = True

    def _response(self, request: Request, payload: JSON) -> _Out:
        message = Message(
            task_id=request.task_id,
            kind="response",
            id=f"{request.id}:response",  # deterministic: a re-run writes the same id
            request_id=request.id,
            payload=payload,
        )
        value = wire.encode_message(message)
        headers: list[tuple[str, str | bytes | None]] = [
            (k, v) for k, v in wire.headers_for_message(message)
        ]
        return _Out(self.inbox, request.task_id.encode(), value, headers)

    # -- Kafka calls (all on the single worker thread) ----------------------------------------

    def _open(self) -> None:
        # Like the interpreter and the HTTP server: create the topics when they are missing
        # (idempotent), rather than fail every transaction on a topic that is not there.
        ensure_topics(self.settings)
        self._consumer = Consumer(_consumer_config(self.settings, self.group_id))
        self._producer = Producer(_producer_config(self.settings, self.transactional_id))
        self._producer.init_transactions(30)
        self._consumer.subscribe(
            [self.outbox],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )

    def _consume(self, limit: int, timeout: float) -> list[Any]:
        assert self._consumer is not None
        # consume(n, timeout) waits for all n records or the whole timeout: wait for the
        # first record only, then take whatever else is already fetched.
        first = self._consumer.poll(timeout)
        if first is None:
            return []
        records = [first]
        if limit > 1:
            records += self._consumer.consume(limit - 1, 0)
        good = []
        for record in records:
            err = record.error()
            if err is None:
                good.append(record)
            elif err.fatal():
                raise ServiceError(f"consumer failed: {err}")
            elif err.code() != KafkaError._PARTITION_EOF:
                log.warning("consumer: %s", err)
        return good

    def _flush(self) -> bool | None:
        """Steps 2 and 3: one transaction with the ready responses and offsets.

        True: committed; False: aborted (rewind); None: nothing to commit."""
        assert self._producer is not None and self._consumer is not None
        records: list[_Out] = []
        offsets: list[TopicPartition] = []
        for number, part in self._parts.items():
            out, commit = part.take_ready()
            records.extend(out)
            if commit is not None:
                offsets.append(TopicPartition(self.outbox, number, commit))
        if not offsets:
            return None
        producer = self._producer
        try:
            producer.begin_transaction()
            for rec in records:
                self._produce(rec)
            producer.send_offsets_to_transaction(
                offsets, self._consumer.consumer_group_metadata(), 30
            )
            self._commit_transaction()
        except KafkaException as exc:
            error = exc.args[0]
            if error.txn_requires_abort():
                log.warning("transaction aborted (%s); rewinding to the committed offsets", error)
                producer.abort_transaction(30)
                return False
            raise ServiceError(f"connector {self.kind}: fatal Kafka error: {error}") from exc
        for tp in offsets:
            if tp.partition in self._parts:
                self._parts[tp.partition].committed = tp.offset
        self.served += sum(1 for rec in records if rec.topic == self.inbox)
        self.dead_letters += sum(1 for rec in records if rec.topic == self.dlq)
        return True

    def _produce(self, rec: _Out) -> None:
        assert self._producer is not None
        while True:
            try:
                self._producer.produce(rec.topic, value=rec.value, key=rec.key, headers=rec.headers)
                return
            except BufferError:
                self._producer.poll(0.05)  # the local queue is full: let deliveries drain

    def _commit_transaction(self) -> None:
        assert self._producer is not None
        for attempt in range(10):
            try:
                self._producer.commit_transaction(30)
                return
            except KafkaException as exc:
                if not exc.args[0].retriable() or attempt == 9:
                    raise
                time.sleep(0.1 * (attempt + 1))

    def _rewind(self) -> None:
        """After an abort: drop all in-flight work and read again from the committed offsets."""
        assert self._consumer is not None
        self._drop(list(self._parts))
        assignment = self._consumer.assignment()
        if not assignment:
            return
        for tp in self._consumer.committed(assignment, 30):
            offset = tp.offset if tp.offset >= 0 else OFFSET_BEGINNING
            self._consumer.seek(TopicPartition(tp.topic, tp.partition, offset))
            self._parts[tp.partition] = _Partition()

    def _drop(self, partitions: list[int]) -> None:
        for number in partitions:
            part = self._parts.pop(number, None)
            if part is not None and self._loop is not None:
                self._loop.call_soon_threadsafe(part.cancel)

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("assigned %s", sorted(tp.partition for tp in partitions))
        self._paused = False
        for tp in partitions:
            self._parts[tp.partition] = _Partition()

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Commit what is ready before the partitions go; the rest re-runs at the new owner.
        log.info("revoked %s", sorted(tp.partition for tp in partitions))
        if not self._failed:
            self._flush()
        self._drop([tp.partition for tp in partitions])

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.warning("lost %s", sorted(tp.partition for tp in partitions))
        self._drop([tp.partition for tp in partitions])

    def _close(self) -> None:
        try:
            if self._consumer is not None:
                self._consumer.close()  # runs on_revoke: the last ready responses are committed
            if self._producer is not None:
                self._producer.flush(10)
        except Exception:
            if not self._failed:
                raise
            log.warning("closing after a failure", exc_info=True)  # the first error is the one


def _consumer_config(settings: Settings, group_id: str) -> dict[str, Any]:
    from flowmetal.kafka import consumer_config

    conf = dict(consumer_config(settings, group_id))
    # Requests written before the connector's first start must still be served.
    conf.update({"auto.offset.reset": "earliest", "enable.auto.commit": False})
    return conf


def _producer_config(settings: Settings, transactional_id: str) -> dict[str, Any]:
    from flowmetal.kafka import producer_config

    # Our transactions live for one flush (milliseconds), so a short timeout costs nothing
    # and lets the broker abort a crashed process's open transaction quickly, which
    # unblocks read_committed readers of the inbox (a stable transactional id does it
    # at once: the restarted process's init_transactions aborts it).
    return producer_config(settings, transactional_id, {"transaction.timeout.ms": 10_000})


async def _maybe_call(obj: Any, name: str) -> None:
    method = getattr(obj, name, None)
    if callable(method):
        result = method()
        if asyncio.iscoroutine(result):
            await result


def run_connector(
    connector: Any, settings: Settings, group_id: str | None = None, **options: Any
) -> None:
    """Serve `connector` until SIGTERM or SIGINT (then drain and return); raise on fatal errors.

    With FLOWMETAL_METRICS_PORT set, the runtime's metrics are served there too."""
    from .metrics import runtime_metrics

    runtime = ConnectorRuntime(connector, settings, group_id, **options)
    port = port_from_env()
    metrics = None if port is None else MetricsServer(runtime_metrics(runtime), port).start()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, runtime.stop)
        await runtime.run()

    try:
        asyncio.run(main())
    finally:
        if metrics is not None:
            metrics.close()
