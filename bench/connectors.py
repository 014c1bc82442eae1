"""Benchmark: workflows of 10 sequential echo connector calls through the real system.

    .venv/bin/python bench/connectors.py [--quick] [--interp-commit-ms MS] [--connector-commit-s S]

Needs a broker (`ops/kafka/broker start`, or FLOWMETAL_BOOTSTRAP). Creates
fresh topics (a unique prefix), pushes the program below, starts one
interpreter process (`python -m flowmetal.interpreter`) and one echo
connector process (`flowmetal connector run ...EchoConnector`), then, for 1,
10 and 100 concurrent tasks, keeps that many tasks running (a new one starts
as soon as one ends) until N have finished, and reports:

- workflows per second (finished tasks / wall time) and connector calls per
  second (10 per workflow);
- latency of one workflow, p50 and p99: from producing its `start` message
  to reading its final state record (read_committed) — ten round trips
  task → outbox → connector → inbox → task, each through two transactions.

Each round trip waits for up to two commit intervals (the interpreter's
`--commit-ms` and the connector's `--commit-interval`): those two dials set
latency at low concurrency; at high concurrency they batch more records per
transaction.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

WORKFLOW = """
from flow.connector import call


def main(n):
    total = 0
    for i in range(n):
        total += call("echo", {"n": 1})["n"]
    return total
"""
CALLS = 10


def _processes(settings: Any, args: argparse.Namespace, tmp: Path) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "FLOWMETAL_BOOTSTRAP": settings.bootstrap,
        "FLOWMETAL_TOPIC_PREFIX": settings.topic_prefix,
        "FLOWMETAL_PARTITIONS": str(settings.partitions),
        "FLOWMETAL_STATE_DIR": str(tmp / "state"),
    }
    interp = [
        sys.executable,
        "-m",
        "flowmetal.interpreter",
        "--commit-ms",
        str(args.interp_commit_ms),
    ]
    echo = [
        sys.executable, "-c", "from flowmetal.cli import main; main()",
        "connector", "run", "flowmetal.connectors.echo:EchoConnector",
        "--commit-interval", str(args.connector_commit_s),
    ]  # fmt: skip
    procs = []
    for name, command in (("interpreter", interp), ("echo", echo)):
        log = open(tmp / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
        procs.append(
            subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        )
    return procs


class Runner:
    """Starts tasks and follows the state topic for their final records."""

    def __init__(self, settings: Any, version: str) -> None:
        from confluent_kafka import OFFSET_END, Consumer, Producer, TopicPartition

        from flowmetal.kafka import consumer_config, producer_config

        self.settings = settings
        self.version = version
        self.producer = Producer(producer_config(settings))
        self.consumer = Consumer(consumer_config(settings, f"bench-{uuid.uuid4().hex}"))
        topic = settings.topic("state")
        parts = self.consumer.list_topics(topic, timeout=10).topics[topic].partitions
        self.consumer.assign([TopicPartition(topic, p, OFFSET_END) for p in parts])

    def start(self, task_id: str) -> None:
        from flowmetal import wire
        from flowmetal.interpreter.effects import start_payload
        from flowmetal.protocol import Message

        payload = start_payload("bench", self.version, "main", [CALLS], {})
        message = Message(task_id, "start", f"start-{task_id}", None, payload)
        self.producer.produce(
            self.settings.topic("inbox"),
            key=task_id.encode(),
            value=wire.encode_message(message),
            headers=[(k, v) for k, v in wire.headers_for_message(message)],
        )

    def finished(self, timeout: float) -> list[tuple[str, str, Any]]:
        from flowmetal import wire
        from flowmetal.protocol import FINAL_STATUSES

        out = []
        for msg in self.consumer.consume(1000, timeout):
            value = msg.value()
            if msg.error() or value is None:
                continue
            record = wire.decode_state(value)
            if record.status in FINAL_STATUSES:
                out.append((record.task_id, record.status, record.result_value))
        return out

    def run(self, concurrency: int, total: int, timeout: float = 600) -> dict[str, float]:
        prefix = uuid.uuid4().hex[:8]
        started_at: dict[str, float] = {}
        latencies: list[float] = []
        next_index = 0
        begin = time.perf_counter()
        while len(latencies) < total:
            while len(started_at) < concurrency and next_index < total:
                task_id = f"bench-{prefix}-{next_index}"
                next_index += 1
                started_at[task_id] = time.perf_counter()
                self.start(task_id)
            self.producer.flush(10)
            for task_id, status, result in self.finished(0.005):
                if task_id not in started_at:
                    continue
                if status != "done" or result != CALLS:
                    raise SystemExit(f"task {task_id} ended {status} with {result!r}")
                latencies.append(time.perf_counter() - started_at.pop(task_id))
            if time.perf_counter() - begin > timeout:
                raise SystemExit(f"only {len(latencies)} of {total} workflows within {timeout}s")
        wall = time.perf_counter() - begin
        latencies.sort()
        return {
            "concurrency": concurrency,
            "workflows": total,
            "wall_s": wall,
            "workflows_per_s": total / wall,
            "calls_per_s": total * CALLS / wall,
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer workflows per level")
    parser.add_argument(
        "--interp-commit-ms", type=int, default=100, help="interpreter default: 100"
    )
    parser.add_argument(
        "--connector-commit-s", type=float, default=0.05, help="connector default: 0.05"
    )
    parser.add_argument("--levels", default="1,10,100", help="concurrent tasks, comma-separated")
    args = parser.parse_args()

    from flowmetal.config import Settings
    from flowmetal.kafka import ensure_topics
    from flowmetal.programs import push

    settings = dataclasses.replace(
        Settings.from_env(), topic_prefix=f"bench-{uuid.uuid4().hex[:8]}."
    )
    ensure_topics(settings)
    version = push(settings, WORKFLOW, "bench.flow", "bench")[1]
    tmp = Path(tempfile.mkdtemp(prefix="flowmetal-bench-"))
    procs = _processes(settings, args, tmp)
    try:
        runner = Runner(settings, version)
        runner.run(1, 3, timeout=120)  # warm-up: group joins, program load
        print(
            f"interpreter --commit-ms {args.interp_commit_ms}, connector --commit-interval {args.connector_commit_s}"
        )
        print("| concurrent tasks | workflows | wall s | workflows/s | calls/s | p50 ms | p99 ms |")
        print("|---|---|---|---|---|---|---|")
        for level in (int(x) for x in args.levels.split(",")):
            total = max(10, 2 * level) if args.quick else max(30, 5 * level)
            r = runner.run(level, total)
            print(
                f"| {level} | {total} | {r['wall_s']:.1f} | {r['workflows_per_s']:.2f} | "
                f"{r['calls_per_s']:.1f} | {r['p50_ms']:.0f} | {r['p99_ms']:.0f} |",
                flush=True,
            )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        print(f"(process logs in {tmp})")


if __name__ == "__main__":
    main()
