"""The interpreter's local replay cache: task states, timer deadlines and checkpoints.

The `state` topic is the source of truth; this store is a cache of it that
makes taking over a partition fast. For every `inbox`/`state` partition the
process has owned it keeps:

- the latest `state` record value of each task (the exact bytes of the topic);
- the task's pending timers, and a deadline index over them (DESIGN.md "Timers");
- a checkpoint: the `state` offset the stored records correspond to, as the
  next offset to read ("everything before it is in here").

The loop writes here only after its transaction committed (see loop.py), so
the store is never ahead of the committed log; after a crash it can only be
behind, and restore.py replays `state` from the checkpoint to catch it up.

Two implementations share one interface: `RocksStore` (rocksdict, raw bytes
mode: no pickle) for the service, `MemoryStore` for tests and benchmarks.

RocksDB key layout (all keys raw bytes; `P` is the partition, 4 bytes big endian):

    b"meta/format"                         -> b"1" (FORMAT_VERSION)
    b"c" P                                 -> checkpoint, 8 bytes big endian
    b"s" P task_id                         -> state record value (wire.encode_state)
    b"t" P task_id                         -> the task's timers, JSON [[id, deadline_ms], ...]
    b"d" P deadline(8 bytes BE) task_id 0x00 timer_id -> b""  (the deadline index)

Keys sort by partition, and index keys by deadline, so a partition is one
prefix scan and its timers come out in deadline order.
"""

from __future__ import annotations

import json
import shutil
import struct
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from flowmetal.errors import ServiceError

FORMAT_VERSION = 1
_FORMAT_KEY = b"meta/format"


class StoreError(ServiceError):
    """The local cache cannot be used as it is; the message says what to do."""


@dataclass(frozen=True)
class StoredTask:
    """One task as the store keeps it: its `state` record value and its pending timers."""

    value: bytes
    timers: tuple[tuple[str, int], ...] = ()  # (timer id, deadline ms since the epoch)


@dataclass(frozen=True, order=True)
class Deadline:
    """One entry of the deadline index."""

    deadline_ms: int
    task_id: str
    timer_id: str


class TaskStore(ABC):
    """What the loop and the restorer need from a replay cache."""

    @abstractmethod
    def checkpoint(self, partition: int) -> int | None:
        """The next `state` offset to replay for `partition`, or None when never restored."""

    @abstractmethod
    def get(self, partition: int, task_id: str) -> bytes | None:
        """The stored `state` record value of `task_id`, or None."""

    @abstractmethod
    def deadlines(self, partition: int) -> Iterator[Deadline]:
        """All pending timers of `partition`, earliest first."""

    @abstractmethod
    def apply(
        self, partition: int, changes: Mapping[str, StoredTask | None], checkpoint: int
    ) -> None:
        """Atomically store `changes` (None deletes a task) and move the checkpoint."""

    @abstractmethod
    def clear(self, partition: int) -> None:
        """Forget everything of `partition` (before a restore from the beginning)."""

    @abstractmethod
    def count(self, partition: int) -> int:
        """How many tasks `partition` holds (for logs and benchmarks)."""

    def close(self) -> None:  # noqa: B027 -- optional for in-memory stores
        """Release the store's resources."""


# -- in memory -----------------------------------------------------------------------------


@dataclass
class _MemPartition:
    tasks: dict[str, StoredTask] = field(default_factory=dict)
    checkpoint: int | None = None


class MemoryStore(TaskStore):
    """A store that lives as long as the process: every take-over replays from the beginning
    unless the same object is handed to the next loop (tests do that to simulate a disk)."""

    def __init__(self) -> None:
        self._parts: dict[int, _MemPartition] = {}

    def _part(self, partition: int) -> _MemPartition:
        return self._parts.setdefault(partition, _MemPartition())

    def checkpoint(self, partition: int) -> int | None:
        return self._part(partition).checkpoint

    def get(self, partition: int, task_id: str) -> bytes | None:
        stored = self._part(partition).tasks.get(task_id)
        return None if stored is None else stored.value

    def deadlines(self, partition: int) -> Iterator[Deadline]:
        found = [
            Deadline(deadline, task_id, timer_id)
            for task_id, stored in self._part(partition).tasks.items()
            for timer_id, deadline in stored.timers
        ]
        return iter(sorted(found))

    def apply(
        self, partition: int, changes: Mapping[str, StoredTask | None], checkpoint: int
    ) -> None:
        part = self._part(partition)
        for task_id, stored in changes.items():
            if stored is None:
                part.tasks.pop(task_id, None)
            else:
                part.tasks[task_id] = stored
        part.checkpoint = checkpoint

    def clear(self, partition: int) -> None:
        self._parts.pop(partition, None)

    def count(self, partition: int) -> int:
        return len(self._part(partition).tasks)


# -- RocksDB -------------------------------------------------------------------------------


def _p(partition: int) -> bytes:
    return struct.pack(">I", partition)


def _deadline_key(partition: int, deadline_ms: int, task_id: str, timer_id: str) -> bytes:
    return (
        b"d"
        + _p(partition)
        + struct.pack(">Q", max(deadline_ms, 0))
        + task_id.encode()
        + b"\x00"
        + timer_id.encode()
    )


def _encode_timers(timers: tuple[tuple[str, int], ...]) -> bytes:
    return json.dumps([[timer_id, deadline] for timer_id, deadline in timers]).encode()


def _decode_timers(data: bytes | None) -> tuple[tuple[str, int], ...]:
    if not data:
        return ()
    return tuple((str(timer_id), int(deadline)) for timer_id, deadline in json.loads(data))


class RocksStore(TaskStore):
    """The RocksDB cache of one interpreter process (one directory, locked by RocksDB)."""

    def __init__(self, path: str | Path) -> None:
        from rocksdict import Options, Rdict

        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        options = Options(raw_mode=True)  # bytes in, bytes out: nothing is ever pickled
        options.create_if_missing(True)
        try:
            self._db = Rdict(str(self.path), options)
        except Exception as exc:  # rocksdict raises a bare Exception for IO and lock errors
            raise StoreError(
                f"cannot open the RocksDB cache at {self.path}: {exc}. If another interpreter "
                "uses this directory, give each process its own FLOWMETAL_STATE_DIR (or its own "
                "--instance-id); if the cache is damaged, delete the directory: it is rebuilt from the state topic."
            ) from exc
        self._check_format()

    def _check_format(self) -> None:
        found = self._db.get(_FORMAT_KEY)
        if found is None:
            if next(iter(self._db.keys()), None) is not None:
                raise StoreError(
                    f"the RocksDB cache at {self.path} has data but no format version: it "
                    "was not written by Flowmetal. Delete the directory (it is rebuilt from "
                    "the state topic) or point FLOWMETAL_STATE_DIR elsewhere."
                )
            self._db[_FORMAT_KEY] = str(FORMAT_VERSION).encode()
            return
        if found != str(FORMAT_VERSION).encode():
            raise StoreError(
                f"the RocksDB cache at {self.path} has format version "
                f"{found.decode(errors='replace')!r}, and this interpreter reads version "
                f"{FORMAT_VERSION}. Delete the directory (it is only a cache: it is rebuilt "
                "from the state topic on the next start) or run a matching Flowmetal version."
            )

    def checkpoint(self, partition: int) -> int | None:
        raw = self._db.get(b"c" + _p(partition))
        return None if raw is None else int(struct.unpack(">q", raw)[0])

    def get(self, partition: int, task_id: str) -> bytes | None:
        return self._db.get(b"s" + _p(partition) + task_id.encode())

    def _scan(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        for key, value in self._db.items(from_key=prefix):
            assert isinstance(key, bytes) and isinstance(value, bytes)  # raw mode
            if not key.startswith(prefix):
                return
            yield key, value

    def deadlines(self, partition: int) -> Iterator[Deadline]:
        prefix = b"d" + _p(partition)
        for key, _ in self._scan(prefix):
            rest = key[len(prefix) :]
            deadline = struct.unpack(">Q", rest[:8])[0]
            task_id, _, timer_id = rest[8:].partition(b"\x00")
            yield Deadline(int(deadline), task_id.decode(), timer_id.decode())

    def apply(
        self, partition: int, changes: Mapping[str, StoredTask | None], checkpoint: int
    ) -> None:
        from rocksdict import WriteBatch

        batch = WriteBatch(raw_mode=True)
        p = _p(partition)
        for task_id, stored in changes.items():
            tid = task_id.encode()
            # The old timers name the index keys to remove; they are tiny, unlike the state.
            for timer_id, deadline in _decode_timers(self._db.get(b"t" + p + tid)):
                batch.delete(_deadline_key(partition, deadline, task_id, timer_id))
            if stored is None:
                batch.delete(b"s" + p + tid)
                batch.delete(b"t" + p + tid)
                continue
            batch.put(b"s" + p + tid, stored.value)
            if stored.timers:
                batch.put(b"t" + p + tid, _encode_timers(stored.timers))
                for timer_id, deadline in stored.timers:
                    batch.put(_deadline_key(partition, deadline, task_id, timer_id), b"")
            else:
                batch.delete(b"t" + p + tid)
        batch.put(b"c" + p, struct.pack(">q", checkpoint))
        self._db.write(batch)

    def clear(self, partition: int) -> None:
        from rocksdict import WriteBatch

        p = _p(partition)
        batch = WriteBatch(raw_mode=True)
        for tag in (b"s", b"t", b"d"):
            for key, _ in self._scan(tag + p):
                batch.delete(key)
        batch.delete(b"c" + p)
        self._db.write(batch)

    def count(self, partition: int) -> int:
        return sum(1 for _ in self._scan(b"s" + _p(partition)))

    def close(self) -> None:
        self._db.close()

    @staticmethod
    def destroy(path: str | Path) -> None:
        """Delete a cache directory (it is rebuilt from the state topic)."""
        shutil.rmtree(path, ignore_errors=True)
