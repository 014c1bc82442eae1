"""The loop against the real broker, with a stand-in VM (interp_fakes.py), in-process.

These pin the Kafka plumbing independently of the language: start and finish,
timers, dead letters, a crashing step, duplicate starts, restore from the
cache and from the state topic.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from interp_fakes import FakeTable, FakeTask, program

from flowmetal import wire
from flowmetal.config import DLQ, INBOX, Settings
from flowmetal.interpreter.client import TaskClient
from flowmetal.interpreter.hosting import Programs
from flowmetal.interpreter.loop import Interpreter, LoopOptions
from flowmetal.interpreter.store import MemoryStore, TaskStore
from flowmetal.kafka import consumer_config, producer_config

pytestmark = pytest.mark.kafka


class _KeepOpen(MemoryStore):
    """A MemoryStore that outlives its loop, like a disk between two processes."""

    def close(self) -> None:
        pass


@contextmanager
def running(
    settings: Settings, store: TaskStore | None = None, group: str | None = None, **options: Any
) -> Iterator[Interpreter]:
    table = FakeTable({"fake": program()})
    opts = LoopOptions(
        group=group or f"g-{uuid.uuid4().hex[:8]}", commit_ms=20, session_timeout_ms=6000, **options
    )
    loop = Interpreter(
        settings, opts, store or MemoryStore(), Programs(table), None, task_class=FakeTask
    )
    errors: list[BaseException] = []

    def target() -> None:
        try:
            loop.run()
        except BaseException as exc:  # surfaced by the test below
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        loop.stop()
        thread.join(30)
        assert not thread.is_alive(), "the loop did not stop"
        assert not errors, errors


def _start(client: TaskClient, entry: str, args: list[Any], task_id: str | None = None) -> str:
    tid, _ = client.start(
        "fake", args, task_id=task_id or f"t-{uuid.uuid4().hex[:8]}", entry=entry, version="f" * 64
    )
    return tid


def _dead_letters(settings: Settings, count: int, timeout: float = 20) -> list[wire.DeadLetter]:
    from confluent_kafka import Consumer

    consumer = Consumer(consumer_config(settings, f"dlq-{uuid.uuid4().hex}"))
    consumer.subscribe([settings.topic(DLQ)])
    found: list[wire.DeadLetter] = []
    deadline = time.monotonic() + timeout
    try:
        while len(found) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and not msg.error():
                found.append(wire.decode_dead_letter(msg.value() or b""))
    finally:
        consumer.close()
    return found


def test_tasks_start_finish_sleep_and_count(kafka: Any) -> None:
    settings = kafka.settings("loop-basic")
    with running(settings), TaskClient(settings) as client:
        echo = _start(client, "echo", [{"x": 1}])
        sleeper = _start(client, "sleeper", [0.5])
        counter = _start(client, "counter", [3])
        for value in (1, 2, 3):
            client.send(counter, value)
        assert client.wait(echo, 30, 0).result_value == {"x": 1}
        began = time.monotonic()
        slept = client.wait(sleeper, 30, 0)
        assert slept.status == "done" and slept.result_value == "slept"
        assert client.wait(counter, 30, 0).result_value == [3, 6]
        assert time.monotonic() - began < 10
        history = client.history(counter)
        assert [e["kind"] for e in history] == ["started", "step", "step", "done"]


def test_dead_letters_and_a_crashing_step_do_not_stop_the_loop(kafka: Any) -> None:
    from confluent_kafka import Producer

    settings = kafka.settings("loop-dlq", partitions=1)
    with running(settings), TaskClient(settings) as client:
        producer = Producer(producer_config(settings))
        producer.produce(settings.topic(INBOX), key=b"junk", value=b"not avro at all")
        producer.flush(10)
        client.send("no-such-task", 1)
        crash = _start(client, "crasher", [])
        after = _start(client, "echo", ["still here"])
        assert client.wait(after, 30, 0).result_value == "still here"
        crashed = client.wait(crash, 30, 0)
        assert crashed.status == "failed"
        assert "boom inside the VM" in crashed.error_value["message"]
        letters = _dead_letters(settings, 2)
    reasons = sorted(letter.error for letter in letters)
    assert len(letters) == 2, reasons
    assert "undecodable" in reasons[1] and "no task 'no-such-task'" in reasons[0]
    junk = next(letter for letter in letters if "undecodable" in letter.error)
    assert junk.original_value == b"not avro at all"
    assert junk.topic == settings.topic(INBOX) and junk.partition == 0 and junk.offset == 0


def test_duplicate_start_is_ignored(kafka: Any) -> None:
    settings = kafka.settings("loop-dup", partitions=1)
    with running(settings), TaskClient(settings) as client:
        tid = _start(client, "counter", [1])
        _start(client, "counter", [1], task_id=tid)
        client.send(tid, 5)
        assert client.wait(tid, 30, 0).result_value == [1, 5]
        assert [e["kind"] for e in client.history(tid)] == ["started", "done"]


@pytest.mark.parametrize("cache", ["kept", "lost"])
def test_restart_restores_tasks_in_flight(kafka: Any, cache: str) -> None:
    settings = kafka.settings(f"loop-restore-{cache}", partitions=2)
    store = _KeepOpen()
    group = f"g-{uuid.uuid4().hex[:8]}"
    with TaskClient(settings) as client:
        with running(settings, store, group):
            counters = [_start(client, "counter", [2]) for _ in range(6)]
            sleepers = [_start(client, "sleeper", [6]) for _ in range(3)]
            for tid in counters:
                client.send(tid, 10)
            deadline = time.monotonic() + 20
            while loop_steps(client, counters + sleepers) < 12 and time.monotonic() < deadline:
                time.sleep(0.2)
        # Stopped with every task in flight: counters waiting for one more, sleepers asleep.
        assert {client.show(t).status for t in counters + sleepers} == {"waiting"}
        second = store if cache == "kept" else _KeepOpen()
        with running(settings, second, group) as loop:
            for tid in counters:
                client.send(tid, 1)
            assert [client.wait(t, 30, 0).result_value for t in counters] == [[2, 11]] * 6
            assert all(client.wait(t, 30, 0).result_value == "slept" for t in sleepers)
            assert loop.stats["steps"] == 6 + 3
            reports = loop.restorer.reports
            assert {r.source for r in reports} == {"cache" if cache == "kept" else "state topic"}
            # From the cache nothing is left to replay; from the topic, every state record.
            assert sum(r.records for r in reports) == (0 if cache == "kept" else 6 * 2 + 3)


def loop_steps(client: TaskClient, tasks: list[str]) -> int:
    return sum(len(client.history(t)) for t in tasks)


def test_an_aborted_transaction_is_redone_exactly_once(kafka: Any) -> None:
    from flowmetal.interpreter.transaction import AbortableError

    settings = kafka.settings("loop-abort", partitions=2)
    with running(settings) as loop, TaskClient(settings) as client:
        real_commit = loop.txn.commit
        failures = {"left": 3}

        def flaky_commit(offsets: Any, metadata: Any) -> dict[int, int]:
            # Fail a few commits after their records were produced: the loop must abort,
            # forget the batch's tasks, re-arm timers and read the batch again.
            if failures["left"] and loop.txn.produced:
                failures["left"] -= 1
                raise AbortableError("injected")
            return real_commit(offsets, metadata)

        loop.txn.commit = flaky_commit  # type: ignore[method-assign]
        counters = [_start(client, "counter", [4]) for _ in range(3)]
        sleeper = _start(client, "sleeper", [0.2])
        for value in (1, 2, 3, 4):
            for tid in counters:
                client.send(tid, value)
        assert [client.wait(t, 30, 0).result_value for t in counters] == [[4, 10]] * 3
        assert client.wait(sleeper, 30, 0).result_value == "slept"
        assert failures["left"] == 0 and loop.stats["aborts"] == 3
        for tid in counters:
            seqs = [e["seq"] for e in client.history(tid)]
            # Start and four messages: steps 1..5, each once, though three batches aborted.
            assert seqs == [1, 2, 3, 4, 5]
