"""Exactly-once under a SIGKILL, and restarts from the cache and from the state topic."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from interp_procs import Interpreters, push_source, wait_until

from flowmetal import wire
from flowmetal.config import HISTORY, STATE, Settings
from flowmetal.interpreter.client import TaskClient
from flowmetal.kafka import consumer_config

pytestmark = pytest.mark.kafka

SWARM = """
from flow.task import send, receive
from flow.time import sleep

def worker(collector, i, steps):
    total = 0
    for k in range(steps):
        send(collector, i)
        sleep(0.01)
        total += i
    return total

def collector(n):
    count = 0
    total = 0
    seen = {}
    while count < n:
        i = receive()
        count += 1
        total += i
        seen[str(i)] = seen.get(str(i), 0) + 1
    return [count, total, seen]
"""

WORKERS, STEPS = 200, 20


@pytest.fixture
def procs(kafka: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Interpreters]:
    settings = kafka.settings(request.node.name, partitions=4)
    group = Interpreters(settings, tmp_path)
    try:
        yield group
    finally:
        group.close()


def read_all(settings: Settings, topic: str) -> list[Any]:
    """Every committed record of `topic`, all partitions, up to their ends."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(consumer_config(settings, "history-reader"))
    name = settings.topic(topic)
    ends = {}
    for p in range(settings.partitions):
        ends[p] = consumer.get_watermark_offsets(TopicPartition(name, p), timeout=30)[1]
    consumer.assign([TopicPartition(name, p, 0) for p in range(settings.partitions)])
    records: list[Any] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        positions = consumer.position([TopicPartition(name, p) for p in ends])
        if all(tp.offset >= ends[tp.partition] or ends[tp.partition] == 0 for tp in positions):
            break
        for msg in consumer.consume(1000, 0.5):
            if not msg.error():
                records.append(msg)
    consumer.close()
    return records


def test_sigkill_loses_no_step_and_applies_none_twice(procs: Interpreters) -> None:
    push_source(procs.settings, SWARM, "swarm")
    began = time.monotonic()
    procs.start("a")
    procs.start("b")
    procs.wait_for_log("a", "pending timers")
    procs.wait_for_log("b", "pending timers")
    with TaskClient(procs.settings) as client:
        client.start("swarm", [WORKERS * STEPS], task_id="collector", entry="collector")
        for i in range(WORKERS):
            client.start("swarm", ["collector", i, STEPS], task_id=f"w-{i}", entry="worker")
        # Kill one member mid-flight: its open transaction dies with it.
        wait_until(
            lambda: len(client.history("collector")) > 600, 120, "the collector to get going", procs
        )
        print(f"killing a after {time.monotonic() - began:.1f}s")
        procs.kill("a")
        killed = time.monotonic()
        final = client.wait("collector", 240, 0)
        print(f"the collector ended {time.monotonic() - killed:.1f}s after the kill")
        assert final.status == "done", final.error_value
        count, total, seen = final.result_value
        assert count == WORKERS * STEPS
        assert total == STEPS * sum(range(WORKERS))
        assert seen == {str(i): STEPS for i in range(WORKERS)}
    latest = {}
    for msg in read_all(procs.settings, STATE):
        latest[msg.key().decode()] = wire.decode_state(msg.value())
    results = {i: latest[f"w-{i}"].result_value for i in range(WORKERS)}
    assert results == {i: i * STEPS for i in range(WORKERS)}
    assert "assigned" in procs.log("b")
    events = [wire.decode_history(m.value()) for m in read_all(procs.settings, HISTORY)]
    steps = Counter((e["task_id"], e["seq"]) for e in events)
    twice = [key for key, n in steps.items() if n > 1]
    assert not twice, f"steps in the history more than once: {twice[:10]}"
    # Each task's history is numbered 1..n by its step counter: no gap, no duplicate,
    # however the kill cut its transactions.
    by_task: dict[str, list[int]] = {}
    for e in events:
        by_task.setdefault(e["task_id"], []).append(e["seq"])
    broken = {
        t: seqs for t, seqs in by_task.items() if sorted(seqs) != list(range(1, len(seqs) + 1))
    }
    assert not broken, f"histories not numbered 1..n: {dict(list(broken.items())[:3])}"
    assert len(by_task) == WORKERS + 1
    assert all(latest[t].steps == len(seqs) for t, seqs in by_task.items())
    # The collector took exactly one step per message, plus its start.
    assert sum(1 for e in events if e["task_id"] == "collector") == WORKERS * STEPS + 1


RECEIVER = """
from flow.task import receive
from flow.time import sleep

def main(n):
    got = []
    for k in range(n):
        got.append(receive())
    sleep(0.2)
    return got
"""


@pytest.mark.parametrize("cache", ["rocksdb", "deleted"])
def test_restart_restores_tasks_in_flight(procs: Interpreters, cache: str) -> None:
    push_source(procs.settings, RECEIVER, "receiver")
    state = procs.tmp_path / "state-shared"
    procs.start("first", state_dir=state)
    with TaskClient(procs.settings) as client:
        tasks = [client.start("receiver", [3], task_id=f"r-{i}")[0] for i in range(12)]
        for tid in tasks:
            client.send(tid, f"{tid}:1")
        wait_until(
            lambda: all(len(client.history(t)) == 2 for t in tasks), 60, "the first messages", procs
        )
        assert procs.stop("first") == 0, procs.tails()
        if cache == "deleted":
            shutil.rmtree(state)
        procs.start("second", state_dir=state)
        for tid in tasks:
            client.send(tid, f"{tid}:2")
            client.send(tid, f"{tid}:3")
        results = [client.wait(tid, 60, 0).result_value for tid in tasks]
    assert results == [[f"{tid}:{k}" for k in (1, 2, 3)] for tid in tasks]
    source = "cache" if cache == "rocksdb" else "state topic"
    procs.wait_for_log("second", f"restored from the {source}")
    assert "restored from the state topic" not in procs.log("second") or cache == "deleted"
