"""The replay cache: both implementations, format versioning, the deadline index."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowmetal.interpreter.store import (
    FORMAT_VERSION,
    Deadline,
    MemoryStore,
    RocksStore,
    StoredTask,
    StoreError,
    TaskStore,
)
from flowmetal.interpreter.timers import TimerIndex


@pytest.fixture(params=["memory", "rocksdb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> TaskStore:
    if request.param == "memory":
        return MemoryStore()
    return RocksStore(tmp_path / "cache")


def test_apply_get_checkpoint_and_delete(store: TaskStore) -> None:
    assert store.checkpoint(0) is None
    store.apply(0, {"a": StoredTask(b"A1"), "b": StoredTask(b"B1")}, 7)
    store.apply(1, {"a": StoredTask(b"other partition")}, 3)
    assert store.get(0, "a") == b"A1"
    assert store.checkpoint(0) == 7 and store.checkpoint(1) == 3
    store.apply(0, {"a": StoredTask(b"A2"), "b": None}, 9)
    assert store.get(0, "a") == b"A2"
    assert store.get(0, "b") is None
    assert store.count(0) == 1
    store.clear(0)
    assert store.get(0, "a") is None and store.checkpoint(0) is None
    assert store.get(1, "a") == b"other partition"


def test_deadline_index_follows_each_tasks_timers(store: TaskStore) -> None:
    store.apply(2, {"t1": StoredTask(b"x", (("t1.1", 300), ("t1.2", 100)))}, 1)
    store.apply(2, {"t2": StoredTask(b"y", (("t2.1", 200),))}, 2)
    assert [d.timer_id for d in store.deadlines(2)] == ["t1.2", "t2.1", "t1.1"]
    # A new state replaces the task's timers: the old index entries go.
    store.apply(2, {"t1": StoredTask(b"x2", (("t1.3", 50),))}, 3)
    assert list(store.deadlines(2)) == [Deadline(50, "t1", "t1.3"), Deadline(200, "t2", "t2.1")]
    store.apply(2, {"t2": None}, 4)
    assert list(store.deadlines(2)) == [Deadline(50, "t1", "t1.3")]
    assert list(store.deadlines(3)) == []


def test_rocks_store_survives_reopen(tmp_path: Path) -> None:
    first = RocksStore(tmp_path / "c")
    first.apply(0, {"a": StoredTask(b"A", (("a.1", 5),))}, 11)
    first.close()
    again = RocksStore(tmp_path / "c")
    assert again.get(0, "a") == b"A"
    assert again.checkpoint(0) == 11
    assert list(again.deadlines(0)) == [Deadline(5, "a", "a.1")]
    again.close()


def test_rocks_store_refuses_an_unknown_format_with_advice(tmp_path: Path) -> None:
    from rocksdict import Options, Rdict

    options = Options(raw_mode=True)
    options.create_if_missing(True)
    db = Rdict(str(tmp_path / "c"), options)
    db[b"meta/format"] = str(FORMAT_VERSION + 1).encode()
    db.close()
    with pytest.raises(StoreError, match="Delete the directory"):
        RocksStore(tmp_path / "c")


def test_rocks_store_refuses_a_locked_directory(tmp_path: Path) -> None:
    held = RocksStore(tmp_path / "c")
    try:
        with pytest.raises(StoreError, match="its own FLOWMETAL_STATE_DIR"):
            RocksStore(tmp_path / "c")
    finally:
        held.close()


def test_timer_index_fires_once_until_the_task_changes() -> None:
    index = TimerIndex()
    index.load(0, [Deadline(100, "a", "a.1"), Deadline(300, "b", "b.1")])
    assert index.next_deadline() == 100
    assert index.due(50) == []
    assert index.due(150) == [(0, Deadline(100, "a", "a.1"))]
    assert index.due(150) == []  # fired: not again while its message is on the way
    index.set_task(0, "a", {"a.1": 100, "a.2": 120})  # a step that keeps the fired timer
    assert index.due(200) == [(0, Deadline(120, "a", "a.2"))]
    index.set_task(0, "b", {})  # cancelled
    assert index.next_deadline() is None
    index.set_task(0, "b", {"b.2": 400})
    assert index.next_deadline() == 400
    index.drop(0)
    assert index.next_deadline() is None and index.count() == 0


def test_state_records_carry_timers_and_old_records_read_as_none() -> None:
    from flowmetal import wire

    record = wire.StateRecord("t", "waiting", "p", "v", b"snap", timers=(("t.1", 12345),))
    assert wire.decode_state(wire.encode_state(record)).timers == (("t.1", 12345),)
    old = wire.encode_with_version(
        "state",
        1,
        {
            "task_id": "t",
            "status": "waiting",
            "program": "p",
            "version": "v",
            "snapshot": b"",
            "waiting_for": "",
            "result": None,
            "error": None,
            "updated_ms": 1,
        },
    )
    assert wire.decode_state(old).timers == ()  # a v1 writer: no pending timers known
