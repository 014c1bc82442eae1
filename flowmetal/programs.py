"""The program store: program versions in the compacted `programs` topic.

Writing (`push`): a program is compiled first — a program that does not
compile produces nothing — then two records go to the one-partition
`programs` topic, in this order:

    key "name@version"  value ProgramRecord   the immutable version (version = sha256 of source)
    key "name"          value ProgramRecord   the same record: "latest" points at it

Compaction keeps the last record per key, so every version stays, and the
bare name always holds the latest push. A crash between the two leaves only
the version record: harmless, the next push of the name fixes "latest".

Reading (`ProgramTable`): one process reads the whole topic into memory
(programs are small) and keeps up, in a background thread or by `refresh()`;
the interpreter looks tasks' pinned versions up there.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from flowmetal.config import PROGRAMS, Settings
from flowmetal.errors import ServiceError
from flowmetal.kafka import consumer_config, producer_config
from flowmetal.wire import ProgramRecord, WireError, decode_program, encode_program

if TYPE_CHECKING:
    from confluent_kafka import Consumer

log = logging.getLogger(__name__)

# Undecodable records already reported by this process, as (topic, offset): every
# table (the CLI opens several, the service refreshes forever) reads the whole topic,
# and one warning per bad record is what an operator needs, not one per read.
_reported: set[tuple[str, int]] = set()
_reported_lock = threading.Lock()


def _first_report(topic: str, offset: int | None) -> bool:
    """True the first time this process sees the bad record at `offset` of `topic`."""
    if offset is None:
        return True
    with _reported_lock:
        if (topic, offset) in _reported:
            return False
        _reported.add((topic, offset))
        return True


NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,199}$")


class ProgramNotFound(ServiceError):
    """No such program name, or no such version of it, in the program store."""


def version_of(source: str) -> str:
    """A version is the sha256 hex of the source (content-addressed)."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def default_name(filename: str) -> str:
    """The program name a file gets when none is given: its stem ("jobs/poll.flow" → "poll")."""
    return PurePath(filename).stem


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise ServiceError(
            f"invalid program name {name!r}: use letters, digits, '_', '.', '-', "
            "starting with a letter or '_'"
        )
    return name


def version_key(name: str, version: str) -> str:
    return f"{name}@{version}"


# -- writing -----------------------------------------------------------------------------


def push(
    settings: Settings, source: str, filename: str, name: str | None = None
) -> tuple[str, str]:
    """Compile `source`, then store it as a version of `name`; return (name, version).

    Raises FlowSyntaxError/CompileError (nothing is produced) or ServiceError."""
    from confluent_kafka import KafkaException, Producer

    from flowmetal.compile import compile_program

    name = check_name(name or default_name(filename))
    program = compile_program(source, filename)  # raises before anything is produced
    version = getattr(program, "version", None) or version_of(source)

    value = encode_program(name, version, source, filename)
    topic = settings.topic(PROGRAMS)
    errors: list[Any] = []

    def delivered(err: Any, _msg: Any) -> None:
        if err is not None:
            errors.append(err)

    producer = Producer(producer_config(settings))
    try:
        # One partition, one producer: the version lands before the "latest" pointer.
        producer.produce(topic, key=version_key(name, version), value=value, on_delivery=delivered)
        producer.produce(topic, key=name, value=value, on_delivery=delivered)
        remaining = producer.flush(30)
    except KafkaException as exc:
        raise ServiceError(f"cannot store program {name}: {exc}") from exc
    if remaining or errors:
        reason = errors[0] if errors else f"{remaining} records not delivered in 30s"
        raise ServiceError(f"cannot store program {name} in {topic}: {reason}")
    return name, version


@dataclass(frozen=True)
class ProgramInfo:
    """A program name, its latest version, and every version the store holds."""

    name: str
    latest: str
    versions: tuple[str, ...]
    pushed_ms: int


def list_programs(settings: Settings, timeout: float = 30.0) -> list[ProgramInfo]:
    """Every program name in the store, sorted, with its versions (oldest push first)."""
    table = ProgramTable(settings)
    try:
        table.refresh(timeout)
        return table.programs()
    finally:
        table.close()


class ProgramStore:
    """The writing side, as one name: `ProgramStore.push(settings, source, filename)`."""

    push = staticmethod(push)
    list_programs = staticmethod(list_programs)


# -- reading -----------------------------------------------------------------------------


class ProgramTable:
    """The whole `programs` topic in memory: `get(name, version=None)`.

    Keep it current with `start()` (a background thread) or `refresh()`; `get`
    also refreshes once on a miss, so a version pushed a moment ago is found."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._topic = settings.topic(PROGRAMS)
        self._lock = threading.RLock()
        self._versions: dict[tuple[str, str], ProgramRecord] = {}
        self._latest: dict[str, ProgramRecord] = {}
        self._compiled: dict[str, Any] = {}
        self._consumer: Consumer | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # lookup

    def get(self, name: str, version: str | None = None) -> tuple[str, str, str]:
        """(version, source, filename) of a version, or of the latest when `version` is None."""
        record = self.get_record(name, version)
        return record.version, record.source, record.filename

    def get_record(self, name: str, version: str | None = None) -> ProgramRecord:
        record = self._lookup(name, version)
        if record is None:
            self.refresh()
            record = self._lookup(name, version)
        if record is None:
            what = f"program {name!r}" if version is None else f"version {version} of {name!r}"
            raise ProgramNotFound(f"{what} is not in the program store ({self._topic})")
        return record

    def compiled(self, name: str, version: str | None = None) -> Any:
        """The compiled `flowmetal.compile.Program` of a version, compiled once and cached."""
        from flowmetal.compile import compile_program

        record = self.get_record(name, version)
        with self._lock:
            program = self._compiled.get(record.version)
            if program is None:
                program = compile_program(record.source, record.filename)
                self._compiled[record.version] = program
            return program

    def programs(self) -> list[ProgramInfo]:
        with self._lock:
            out = []
            for name in sorted(self._latest):
                mine = [r for (n, _), r in self._versions.items() if n == name]
                mine.sort(key=lambda r: r.pushed_ms)
                latest = self._latest[name]
                out.append(
                    ProgramInfo(
                        name, latest.version, tuple(r.version for r in mine), latest.pushed_ms
                    )
                )
            return out

    def _lookup(self, name: str, version: str | None) -> ProgramRecord | None:
        with self._lock:
            if version is None:
                return self._latest.get(name)
            return self._versions.get((name, version))

    # keeping up

    def refresh(self, timeout: float = 10.0) -> int:
        """Read up to the end of the topic as it is now; return how many records were read."""
        from confluent_kafka import TopicPartition

        with self._lock:
            consumer = self._open()
            high = self._end_offset(consumer, TopicPartition(self._topic, 0), timeout)
            count = 0
            deadline = time.monotonic() + timeout
            while self._position(consumer) < high:
                msg = consumer.poll(min(timeout, 0.5))
                if msg is None:
                    if time.monotonic() > deadline:
                        raise ServiceError(
                            f"cannot read {self._topic}: no progress for {timeout}s "
                            f"(at offset {self._position(consumer)} of {high})"
                        )
                    continue
                deadline = time.monotonic() + timeout  # progress: a big topic may take longer
                if msg.error() is not None:
                    raise ServiceError(f"cannot read {self._topic}: {msg.error()}")
                self._apply(msg.key(), msg.value(), msg.offset())
                count += 1
            return count

    def start(self, interval: float = 0.5) -> ProgramTable:
        """Catch up now, then keep up in a daemon thread until `close()`."""
        self.refresh()

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.refresh()
                except ServiceError as exc:
                    log.warning("program table: %s", exc)

        self._thread = threading.Thread(target=loop, name="program-table", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            if self._consumer is not None:
                self._consumer.close()
                self._consumer = None

    def __enter__(self) -> ProgramTable:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> Consumer:
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

        if self._consumer is None:
            # No group membership: the table assigns the partition itself and never commits.
            group = f"flowmetal-programs-reader-{uuid.uuid4().hex}"
            consumer = Consumer(consumer_config(self._settings, group))
            consumer.assign([TopicPartition(self._topic, 0, OFFSET_BEGINNING)])
            self._consumer = consumer
        return self._consumer

    def _end_offset(self, consumer: Consumer, tp: Any, timeout: float) -> int:
        from confluent_kafka import KafkaError, KafkaException

        # Just after the topic was created the broker may not lead its partition yet.
        transient = {
            KafkaError.NOT_LEADER_FOR_PARTITION,
            KafkaError.LEADER_NOT_AVAILABLE,
            KafkaError.UNKNOWN_TOPIC_OR_PART,
            KafkaError._TRANSPORT,
            KafkaError._TIMED_OUT,
        }
        deadline = time.monotonic() + timeout
        while True:
            try:
                return int(consumer.get_watermark_offsets(tp, timeout=timeout)[1])
            except KafkaException as exc:
                error = exc.args[0]
                retry = error.retriable() or error.code() in transient
                if not retry or time.monotonic() > deadline:
                    raise ServiceError(f"cannot read {self._topic}: {exc}") from exc
            time.sleep(0.1)

    def _position(self, consumer: Consumer) -> int:
        from confluent_kafka import TopicPartition

        offset = consumer.position([TopicPartition(self._topic, 0)])[0].offset
        return offset if offset >= 0 else 0  # OFFSET_INVALID before the first fetch

    def _apply(self, key: bytes | None, value: bytes | None, offset: int | None = None) -> None:
        text = key.decode("utf-8", "replace") if key else ""
        if value is None:  # a tombstone: the key was deleted
            name, _, version = text.partition("@")
            if version:
                self._versions.pop((name, version), None)
            else:
                self._latest.pop(name, None)
            return
        try:
            record = decode_program(value)
        except WireError as exc:
            if _first_report(self._topic, offset):
                log.warning(
                    "skipping undecodable program record %r at %s offset %s: %s",
                    text,
                    self._topic,
                    offset,
                    exc,
                )
            return
        self._versions[(record.name, record.version)] = record
        if "@" not in text:
            self._latest[record.name] = record
