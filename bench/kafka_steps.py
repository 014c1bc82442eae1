"""Benchmark of the Kafka interpreter: steps through the real broker, and restore time.

    .venv/bin/python bench/kafka_steps.py                 # everything (a few minutes)
    .venv/bin/python bench/kafka_steps.py --quick         # smaller numbers, a smoke test
    .venv/bin/python bench/kafka_steps.py --only steps    # or: --only restore

Needs a broker (ops/kafka/broker start, or FLOWMETAL_BOOTSTRAP). Every run
uses fresh topics (a unique prefix) and deletes them at the end.

Steps: one interpreter process (`python -m flowmetal.interpreter`) runs a
program whose every step sends a message to the task itself and waits for it:

    def main(n):
        me = self_id()
        for k in range(n):
            send(me, k)
            receive()

so each step is one inbox record, one step, one transaction cycle, and the
next step cannot begin before the previous one committed. It measures
(a) one task taking sequential steps and (b) 1,000 concurrent tasks, at a
small and a large commit interval, with and without idle commits (loop.py:
commit as soon as the input runs dry, the default). Steps per second is total steps over the
time between the first and the last step in `history`; step latency is the
time between a task's consecutive steps (its history times, ms).

Restore: 100,000 task snapshots (a real waiting task's snapshot, re-keyed)
in one `state` partition; restore.py restores the partition into an empty
RocksDB cache (the slow path: the whole state topic), then again with the
cache in place (the fast path: from the checkpoint forward). For scale, it
also times reading every stored state back out of RocksDB, and Task.restore
of a sample of them (the interpreter does that lazily, per task, on its
first message after a take-over).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flowmetal import wire  # noqa: E402
from flowmetal.config import HISTORY, STATE, Settings  # noqa: E402
from flowmetal.kafka import admin, consumer_config, ensure_topics, producer_config  # noqa: E402

PINGPONG = """
from flow.task import send, receive, self_id

def main(n):
    me = self_id()
    for k in range(n):
        send(me, k)
        receive()
    return n
"""


def fresh_settings(name: str, partitions: int, state_dir: str) -> Settings:
    settings = dataclasses.replace(
        Settings.from_env(),
        topic_prefix=f"bench{uuid.uuid4().hex[:8]}.{name}.",
        partitions=partitions,
        state_dir=state_dir,
    )
    ensure_topics(settings)
    return settings


def delete_topics(settings: Settings) -> None:
    client = admin(settings)
    names = [
        t for t in client.list_topics(timeout=10).topics if t.startswith(settings.topic_prefix)
    ]
    if names:
        for future in client.delete_topics(names, operation_timeout=60).values():
            try:
                future.result(60)
            except Exception as exc:
                print(f"  (could not delete a topic: {exc})")


def read_topic(settings: Settings, topic: str, timeout: float = 300) -> list[Any]:
    """Every committed record of a topic, all partitions, to the current end."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(consumer_config(settings, f"bench-{uuid.uuid4().hex}"))
    name = settings.topic(topic)
    ends = {
        p: consumer.get_watermark_offsets(TopicPartition(name, p), timeout=30)[1]
        for p in range(settings.partitions)
    }
    consumer.assign([TopicPartition(name, p, 0) for p in ends])
    out: list[Any] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        positions = consumer.position([TopicPartition(name, p) for p in ends])
        if all(ends[tp.partition] == 0 or tp.offset >= ends[tp.partition] for tp in positions):
            break
        out.extend(m for m in consumer.consume(5000, 0.2) if not m.error())
    consumer.close()
    return out


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- steps ------------------------------------------------------------------------------


def run_steps(
    tasks: int, steps: int, commit_ms: int, batch: int, idle_commit: bool = True
) -> dict[str, Any]:
    from flowmetal.interpreter.client import TaskClient
    from flowmetal.programs import push

    state_dir = tempfile.mkdtemp(prefix="bench-steps-")
    settings = fresh_settings(f"steps{tasks}x{commit_ms}", 6, state_dir)
    push(settings, PINGPONG, "pingpong.flow", "pingpong")
    env = dict(os.environ)
    env.update(
        FLOWMETAL_BOOTSTRAP=settings.bootstrap,
        FLOWMETAL_TOPIC_PREFIX=settings.topic_prefix,
        FLOWMETAL_PARTITIONS=str(settings.partitions),
        FLOWMETAL_STATE_DIR=state_dir,
        FLOWMETAL_LOG_LEVEL="WARNING",
    )
    command = [sys.executable, "-m", "flowmetal.interpreter", "--group", "bench"]
    command += ["--commit-ms", str(commit_ms), "--batch", str(batch)]
    if not idle_commit:
        command.append("--no-idle-commit")
    proc = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        with TaskClient(settings) as client:
            warm, _ = client.start("pingpong", [1])  # joins the group, compiles the program
            client.wait(warm, 120, 0)
            began = time.monotonic()
            ids = [client.start("pingpong", [steps], task_id=f"b-{i}")[0] for i in range(tasks)]
            pending = set(ids)
            from confluent_kafka import Consumer, TopicPartition

            consumer = Consumer(consumer_config(settings, f"bench-{uuid.uuid4().hex}"))
            consumer.assign(
                [TopicPartition(settings.topic(STATE), p, 0) for p in range(settings.partitions)]
            )
            while pending and time.monotonic() - began < 600:
                for msg in consumer.consume(5000, 0.2):
                    value = msg.value()
                    if msg.error() or value is None:
                        continue
                    record = wire.decode_state(value)
                    if record.status == "done":
                        pending.discard(record.task_id)
            consumer.close()
            wall = time.monotonic() - began
        if pending:
            raise SystemExit(f"{len(pending)} tasks did not finish")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    events = [wire.decode_history(m.value()) for m in read_topic(settings, HISTORY)]
    delete_topics(settings)
    mine = [e for e in events if e["task_id"].startswith("b-")]
    by_task: dict[str, list[int]] = {}
    for e in mine:
        by_task.setdefault(e["task_id"], []).append(e["time"])
    gaps = [
        float(b - a)
        for times in by_task.values()
        for a, b in zip(sorted(times), sorted(times)[1:], strict=False)
    ]
    first, last = min(e["time"] for e in mine), max(e["time"] for e in mine)
    return {
        "tasks": tasks,
        "commit_ms": commit_ms,
        "idle_commit": idle_commit,
        "steps": len(mine),
        "steps_per_s": len(mine) / max((last - first) / 1000, 1e-9),
        "p50_ms": percentile(gaps, 0.50),
        "p99_ms": percentile(gaps, 0.99),
        "wall_s": wall,
    }


# -- restore ----------------------------------------------------------------------------


def sample_snapshot() -> tuple[bytes, Any]:
    """A real snapshot: a task of PINGPONG waiting in receive() after a few steps."""
    from flowmetal.compile import compile_program
    from flowmetal.protocol import Message
    from flowmetal.vm import Task

    program = compile_program(PINGPONG, "pingpong.flow")
    task = Task.new(program, "sample", args=[1000])
    task.step(Message("sample", "start", "s", None, {}))
    return task.snapshot(), program


def run_restore(count: int) -> dict[str, Any]:
    from confluent_kafka import Producer

    from flowmetal.interpreter.restore import Restorer
    from flowmetal.interpreter.store import RocksStore
    from flowmetal.vm import Task

    state_dir = tempfile.mkdtemp(prefix="bench-restore-")
    settings = fresh_settings("restore", 1, state_dir)
    snapshot, program = sample_snapshot()
    producer = Producer(producer_config(settings, overrides={"linger.ms": 50}))
    topic = settings.topic(STATE)
    began = time.monotonic()
    for i in range(count):
        tid = f"r-{i}"
        value = wire.encode_state(
            wire.StateRecord(tid, "waiting", "pingpong", program.version, snapshot, "message")
        )
        while True:
            try:
                producer.produce(topic, key=tid, value=value, partition=0)
                break
            except BufferError:
                producer.poll(0.1)
    producer.flush(120)
    produced = time.monotonic() - began
    store = RocksStore(Path(state_dir) / "cache")
    restorer = Restorer(settings, store)
    slow = restorer.restore(0)  # empty cache: the whole state topic
    fast = restorer.restore(0)  # the cache is current: from its checkpoint
    began = time.monotonic()
    values = [store.get(0, f"r-{i}") for i in range(count)]
    read_all = time.monotonic() - began
    sample = values[: min(2000, count)]
    began = time.monotonic()
    for value in sample:
        record = wire.decode_state(value or b"")
        Task.restore(record.snapshot, program)
    per_task = (time.monotonic() - began) / len(sample)
    restorer.close()
    store.close()
    delete_topics(settings)
    return {
        "count": count,
        "snapshot_bytes": len(snapshot),
        "produce_s": produced,
        "from_topic_s": slow.seconds,
        "from_topic_records": slow.records,
        "from_cache_s": fast.seconds,
        "read_all_from_rocksdb_s": read_all,
        "task_restore_ms": per_task * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["steps", "restore"])
    args = parser.parse_args()
    seq_steps, many, many_steps, snapshots = (
        (200, 100, 5, 5_000) if args.quick else (500, 1000, 10, 100_000)
    )
    print(f"broker {Settings.from_env().bootstrap}, python {sys.version.split()[0]}")
    if args.only in (None, "steps"):
        print("\n| tasks | commit ms | idle commit | steps | steps/s | step p50 ms | step p99 ms |")
        print("|---:|---:|:-:|---:|---:|---:|---:|")
        for tasks, steps in ((1, seq_steps), (many, many_steps)):
            for commit_ms, idle in ((5, True), (200, True), (5, False), (200, False)):
                r = run_steps(tasks, steps, commit_ms, batch=2000, idle_commit=idle)
                print(
                    f"| {r['tasks']} | {r['commit_ms']} | {'yes' if idle else 'no'} "
                    f"| {r['steps']} | {r['steps_per_s']:.0f} "
                    f"| {r['p50_ms']:.0f} | {r['p99_ms']:.0f} |",
                    flush=True,
                )
    if args.only in (None, "restore"):
        r = run_restore(snapshots)
        print(f"\nrestore of {r['count']} task states ({r['snapshot_bytes']} byte snapshots):")
        print(f"  producing them:                   {r['produce_s']:.1f} s")
        print(
            f"  from the state topic (no cache):  {r['from_topic_s']:.2f} s ({r['from_topic_records']} records)"
        )
        print(f"  from RocksDB (checkpoint onward): {r['from_cache_s']:.3f} s")
        print(f"  reading every state from RocksDB: {r['read_all_from_rocksdb_s']:.2f} s")
        print(f"  Task.restore per task (lazy):     {r['task_restore_ms']:.3f} ms")


if __name__ == "__main__":
    main()
