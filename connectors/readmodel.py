"""The HTTP server's read model: tasks, their history and used callbacks, from Kafka into RocksDB.

The API never asks an interpreter anything. A background consumer reads
the `state`, `history`, `programs` and `callbacks` topics (read_committed, manual
assignment of every partition, no consumer group offsets) and materialises
them into this process's own RocksDB:

    format                     the store format version (b"2"); a store of another
                               format is deleted and rebuilt from the topics
    o/<topic kind>/<partition> the next offset to read, written in the same
                               batch as the records it covers, so a restart
                               resumes exactly where the last batch ended
    t/<task id>                the latest state record's fields, as JSON
                               (status, program, version, waiting_for,
                               result, error, updated); a tombstone deletes it
    u/<10^15 - updated ms>\\0<task id>  the task's status, newest first: listing
                               tasks reads this index, not every task
    h/<task id>\\0<seq, 20 digits>  one history event, as JSON
    p/<name>\\0<version>       a pushed program version (name, version, filename, pushed)
    l/<name>                   the program's latest version (from the record keyed by
                               the bare name, which the program store writes last)
    s/<task id>                a task this process started (a stub until its state comes)
    c/<task id>\\0<callback id>     a callback delivery was accepted (a marker
                               from the `callbacks` topic, or this process's
                               own delivery before its marker comes back), or
                               the history shows a step that consumed a
                               `response` to that request id

Everything here is derived from the topics: deleting the folder is always
safe, the consumer rebuilds it from the beginning of the topics.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rocksdict import Options, Rdict, WriteBatch

from flowmetal.config import HISTORY, PROGRAMS, STATE, Settings
from flowmetal.errors import ServiceError
from flowmetal.kafka import admin, consumer_config
from flowmetal.wire import WireError, decode_history, decode_program, decode_state

log = logging.getLogger(__name__)

FORMAT_VERSION = b"2"
# The compacted topic of accepted callback deliveries (key "<task id>\n<callback id>"),
# written by the HTTP server itself; see connectors/http_server.py.
CALLBACKS = "callbacks"
TOPIC_KINDS = (STATE, HISTORY, PROGRAMS, CALLBACKS)
_SEP = "\0"


@dataclass(frozen=True)
class Record:
    """One consumed record, reduced to what the store needs."""

    kind: str  # "state" | "history" | "callbacks"
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def _task_key(task_id: str) -> bytes:
    return f"t/{task_id}".encode()


def _history_key(task_id: str, seq: int) -> bytes:
    return f"h/{task_id}{_SEP}{seq:020d}".encode()


def _callback_key(task_id: str, callback_id: str) -> bytes:
    return f"c/{task_id}{_SEP}{callback_id}".encode()


def _program_key(name: str, version: str) -> bytes:
    return f"p/{name}{_SEP}{version}".encode()


def _latest_key(name: str) -> bytes:
    return f"l/{name}".encode()


def _started_key(task_id: str) -> bytes:
    return f"s/{task_id}".encode()


def _recent_key(updated_ms: int, task_id: str) -> bytes:
    return f"u/{10**15 - updated_ms:015d}{_SEP}{task_id}".encode()


def _offset_key(kind: str, partition: int) -> bytes:
    return f"o/{kind}/{partition}".encode()


def _prefix_end(prefix: bytes) -> bytes:
    return prefix[:-1] + bytes([prefix[-1] + 1])


class ReadModelStore:
    """The RocksDB side of the read model: apply batches of records, answer queries."""

    def __init__(self, path: str | Path):
        Path(path).mkdir(parents=True, exist_ok=True)
        self._db = Rdict(str(path), options=Options(raw_mode=True))
        found = self._db.get(b"format")
        if found is not None and found != FORMAT_VERSION:
            # Everything here derives from the topics: rebuild rather than migrate.
            log.warning(
                "read model store %s has format %r, this server writes %r: rebuilding it from Kafka",
                path,
                found,
                FORMAT_VERSION,
            )
            self._db.close()
            Rdict.destroy(str(path))
            self._db = Rdict(str(path), options=Options(raw_mode=True))
            found = None
        if found is None:
            self._db.put(b"format", FORMAT_VERSION)
        # The updated time each task is indexed under, as of the batch being applied.
        self._indexed: dict[str, int | None] = {}
        self.records_applied = 0
        self.records_skipped = 0

    def close(self) -> None:
        self._db.close()

    # -- writing ---------------------------------------------------------------------

    def apply(self, records: Iterable[Record]) -> None:
        """Apply records and their offsets in one atomic write."""
        batch = WriteBatch(raw_mode=True)
        offsets: dict[tuple[str, int], int] = {}
        self._indexed = {}
        for record in records:
            try:
                self._apply_one(batch, record)
                self.records_applied += 1
            except (WireError, ValueError) as exc:
                # A record we cannot read must not stop the read model: skip it, say so.
                self.records_skipped += 1
                log.warning(
                    "read model skips %s[%d]@%d: %s",
                    record.kind,
                    record.partition,
                    record.offset,
                    exc,
                )
            offsets[(record.kind, record.partition)] = record.offset + 1
        for (kind, partition), offset in offsets.items():
            batch.put(_offset_key(kind, partition), str(offset).encode())
        self._db.write(batch)

    def _apply_one(self, batch: WriteBatch, record: Record) -> None:
        key = (record.key or b"").decode("utf-8")
        if record.kind == STATE:
            if record.value is None:  # a purged task: forget it and its history
                self._reindex(batch, key, None, "")
                batch.delete(_task_key(key))
                start = f"h/{key}{_SEP}".encode()
                batch.delete_range(start, _prefix_end(start))
                return
            state = decode_state(record.value)
            summary = {
                "id": state.task_id,
                "status": state.status,
                "program": state.program,
                "version": state.version,
                "waiting_for": state.waiting_for,
                "result": state.result_value,
                "has_result": state.result is not None,
                "error": state.error_value,
                "updated": state.updated_ms,
            }
            batch.put(_task_key(state.task_id), json.dumps(summary).encode())
            self._reindex(batch, state.task_id, state.updated_ms, state.status)
        elif record.kind == HISTORY:
            if record.value is None:
                return
            event = decode_history(record.value)
            batch.put(_history_key(event["task_id"], event["seq"]), json.dumps(event).encode())
            # A step that consumed a `response` answered that request id for good; callback
            # ids are request ids, so a callback answered any way at all counts as used.
            detail = event.get("detail")
            message = detail.get("message") if isinstance(detail, dict) else None
            if isinstance(message, dict) and message.get("kind") == "response":
                request_id = message.get("request_id")
                if isinstance(request_id, str):
                    batch.put(_callback_key(event["task_id"], request_id), b'{"via":"history"}')
        elif record.kind == PROGRAMS:
            if record.value is None:
                return
            program = decode_program(record.value)
            self._put_program(
                batch,
                program.name,
                program.version,
                program.filename,
                program.pushed_ms,
                latest="@" not in key or None,
            )
        elif record.kind == CALLBACKS:
            task_id, _, callback_id = key.partition("\n")
            if record.value is not None:
                batch.put(_callback_key(task_id, callback_id), record.value)
        else:
            raise ValueError(f"unknown topic kind {record.kind!r}")

    def _reindex(self, batch: WriteBatch, task_id: str, updated: int | None, status: str) -> None:
        """Move the task's entry in the recency index (a batch is not readable: track it)."""
        if task_id in self._indexed:
            before = self._indexed[task_id]
        else:
            raw = self._db.get(_task_key(task_id))
            before = None if raw is None else json.loads(raw)["updated"]
        if before is not None:
            batch.delete(_recent_key(before, task_id))
        if updated is not None:
            batch.put(_recent_key(updated, task_id), status.encode())
        self._indexed[task_id] = updated

    def _put_program(
        self,
        batch: WriteBatch,
        name: str,
        version: str,
        filename: str,
        pushed_ms: int,
        latest: bool | None,
    ) -> None:
        info = {"name": name, "version": version, "filename": filename, "pushed": pushed_ms}
        batch.put(_program_key(name, version), json.dumps(info).encode())
        # latest=None: only when the name has no latest yet (a name@version record)
        if latest or (latest is None and self._db.get(_latest_key(name)) is None):
            batch.put(_latest_key(name), version.encode())

    def put_program(self, name: str, version: str, filename: str, pushed_ms: int) -> None:
        """Remember at once a version this process pushed (its records follow)."""
        batch = WriteBatch(raw_mode=True)
        self._put_program(batch, name, version, filename, pushed_ms, latest=True)
        self._db.write(batch)

    def mark_started(self, task_id: str, stub: dict[str, Any]) -> None:
        """Remember a task this process started, until the read model has its state."""
        self._db.put(_started_key(task_id), json.dumps(stub).encode())

    def started(self, task_id: str) -> dict[str, Any] | None:
        raw = self._db.get(_started_key(task_id))
        return None if raw is None else json.loads(raw)

    def mark_callback(self, task_id: str, callback_id: str, value: bytes = b"{}") -> None:
        """Remember at once that this process accepted a delivery (its marker follows)."""
        self._db.put(_callback_key(task_id, callback_id), value)

    # -- reading ---------------------------------------------------------------------

    def offsets(self, kind: str) -> dict[int, int]:
        """The next offset to read per partition of one topic kind."""
        prefix = f"o/{kind}/".encode()
        found: dict[int, int] = {}
        for key, value in self._scan(prefix):
            found[int(key[len(prefix) :])] = int(value)
        return found

    def task(self, task_id: str) -> dict[str, Any] | None:
        raw = self._db.get(_task_key(task_id))
        return None if raw is None else json.loads(raw)

    def tasks(self, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Tasks, most recently updated first, optionally of one status."""
        found = []
        for key, value in self._scan(b"u/"):
            if status is not None and value.decode() != status:
                continue
            task_id = key.decode().partition(_SEP)[2]
            summary = self.task(task_id)
            if summary is not None:
                found.append(summary)
                if len(found) >= limit:
                    break
        return found

    def history(self, task_id: str, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """The task's history events with seq > `after`, in order."""
        prefix = f"h/{task_id}{_SEP}".encode()
        events = []
        for _, raw in self._scan(prefix, start=_history_key(task_id, after + 1)):
            events.append(json.loads(raw))
            if len(events) >= limit:
                break
        return events

    def programs(self) -> list[dict[str, Any]]:
        """Every program name with its latest version and all its versions."""
        found: dict[str, dict[str, Any]] = {}
        for _, raw in self._scan(b"p/"):
            info = json.loads(raw)
            entry = found.setdefault(info["name"], {"name": info["name"], "versions": []})
            entry["versions"].append(info)
        for name, entry in found.items():
            entry["versions"].sort(key=lambda v: v["pushed"])
            entry["latest"] = self.latest_version(name)
        return [found[name] for name in sorted(found)]

    def latest_version(self, name: str) -> str | None:
        raw = self._db.get(_latest_key(name))
        return None if raw is None else raw.decode()

    def has_version(self, name: str, version: str) -> bool:
        return self._db.get(_program_key(name, version)) is not None

    def callback_used(self, task_id: str, callback_id: str) -> bool:
        return self._db.get(_callback_key(task_id, callback_id)) is not None

    def _scan(self, prefix: bytes, start: bytes | None = None) -> Iterable[tuple[bytes, bytes]]:
        for key, value in self._db.items(from_key=start or prefix):
            assert isinstance(key, bytes)  # raw mode: keys and values are bytes
            if not key.startswith(prefix):
                break
            yield key, value


class ReadModel:
    """A thread that keeps a `ReadModelStore` up to date with the topics."""

    def __init__(self, settings: Settings, store: ReadModelStore, poll_timeout: float = 0.2):
        self.settings = settings
        self.store = store
        self.poll_timeout = poll_timeout
        self.lag = 0  # records between what the store has and the topics' ends
        self.error: str | None = None
        # Set once the store holds everything the topics held when the consumer started:
        # until then a used callback might look unused, so the server refuses deliveries.
        self.caught_up = threading.Event()
        self.catch_up_limit = 60.0
        self._admin: Any = None
        self._kind_of_topic = {settings.topic(kind): kind for kind in TOPIC_KINDS}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="flowmetal-readmodel", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        try:
            self._consume()
        except Exception as exc:  # the server reports it on /healthz; crash-only restart
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("read model consumer stopped")

    def _consume(self) -> None:
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

        # Manual assignment: the group id only names the client, nothing is committed.
        group = f"{self.settings.topic_prefix}http-server-readmodel"
        consumer = Consumer(consumer_config(self.settings, group))
        kind_of_topic = self._kind_of_topic
        try:
            assignment = []
            for topic, kind in kind_of_topic.items():
                stored = self.store.offsets(kind)
                for partition in self._partitions(consumer, topic):
                    offset = stored.get(partition, OFFSET_BEGINNING)
                    assignment.append(TopicPartition(topic, partition, offset))
            consumer.assign(assignment)
            targets = self._end_offsets(consumer, assignment)
            started = time.monotonic()
            last_lag = 0.0
            while not self._stop.is_set():
                batch = consumer.consume(num_messages=500, timeout=self.poll_timeout)
                records = []
                for msg in batch:
                    if msg.error():
                        log.warning("read model consumer: %s", msg.error())
                        continue
                    where = (msg.topic(), msg.partition(), msg.offset())
                    assert where[0] is not None and where[1] is not None and where[2] is not None
                    records.append(
                        Record(kind_of_topic[where[0]], where[1], where[2], msg.key(), msg.value())
                    )
                if records:
                    self.store.apply(records)
                if not self.caught_up.is_set():
                    targets = self._still_behind(consumer, targets)
                    if not targets:
                        log.info("read model caught up in %.1fs", time.monotonic() - started)
                        self.caught_up.set()
                    elif time.monotonic() - started > self.catch_up_limit:
                        log.warning("read model still behind on %s: serving anyway", targets)
                        self.caught_up.set()
                if time.monotonic() - last_lag > 1.0:
                    self.lag = self._measure_lag(consumer)
                    last_lag = time.monotonic()
        finally:
            consumer.close()

    def _partitions(self, consumer: Any, topic: str) -> list[int]:
        deadline = time.monotonic() + 30
        while True:
            meta = consumer.list_topics(topic, timeout=10).topics.get(topic)
            if meta is not None and meta.error is None and meta.partitions:
                return sorted(meta.partitions)
            if time.monotonic() > deadline or self._stop.is_set():
                raise ServiceError(f"topic {topic} does not exist: run `flowmetal topics create`")
            time.sleep(0.5)

    def _ends(self, tps: list[Any]) -> dict[tuple[str, int], int]:
        """The last stable offset of each partition: as far as a read_committed reader gets."""
        from confluent_kafka import IsolationLevel, TopicPartition
        from confluent_kafka.admin import OffsetSpec

        if self._admin is None:
            self._admin = admin(self.settings)
        futures = self._admin.list_offsets(
            {TopicPartition(tp.topic, tp.partition): OffsetSpec.latest() for tp in tps},
            isolation_level=IsolationLevel.READ_COMMITTED,
            request_timeout=10,
        )
        return {(tp.topic, tp.partition): f.result().offset for tp, f in futures.items()}

    def _end_offsets(self, consumer: Any, assignment: list[Any]) -> dict[tuple[str, int], int]:
        """Where each assigned partition ends now, for those the store has not reached."""
        ends = self._ends(assignment)
        return {
            (tp.topic, tp.partition): ends[(tp.topic, tp.partition)]
            for tp in assignment
            if ends[(tp.topic, tp.partition)] > max(tp.offset, 0)
        }

    def _still_behind(
        self, consumer: Any, targets: dict[tuple[str, int], int]
    ) -> dict[tuple[str, int], int]:
        from confluent_kafka import TopicPartition

        # The position, not the last record's offset: a transaction marker may end the log.
        positions = consumer.position([TopicPartition(t, p) for t, p in targets])
        done = {
            (tp.topic, tp.partition)
            for tp in positions
            if tp.offset >= targets[(tp.topic, tp.partition)]
        }
        return {key: end for key, end in targets.items() if key not in done}

    def _measure_lag(self, consumer: Any) -> int:
        assignment = consumer.assignment()
        ends = self._ends(assignment)
        total = 0
        for tp in consumer.position(assignment):
            if tp.offset >= 0:  # no position yet: nothing fetched, count from the store
                position = tp.offset
            else:
                position = self.store.offsets(self._kind_of_topic[tp.topic]).get(tp.partition, 0)
            total += max(ends[(tp.topic, tp.partition)] - position, 0)
        return total
