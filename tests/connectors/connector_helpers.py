"""Helpers of the connector tests: write requests to the outbox, read responses from the inbox,
run a connector in a thread or as a real `flowmetal connector` process."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flowmetal import wire
from flowmetal.config import DLQ, INBOX, OUTBOX, Settings
from flowmetal.protocol import Message, Request

ROOT = Path(__file__).resolve().parents[2]


def produce_requests(settings: Settings, requests: list[Request], *, header: bool = True) -> None:
    """Write `requests` to the outbox as the interpreter would (key task id, kind header)."""
    from confluent_kafka import Producer

    from flowmetal.kafka import producer_config

    producer = Producer(producer_config(settings))
    for r in requests:
        headers: list[tuple[str, str | bytes | None]] | None = (
            [(k, v) for k, v in wire.headers_for_request(r)] if header else None
        )
        producer.produce(
            settings.topic(OUTBOX),
            key=r.task_id.encode(),
            value=wire.encode_request(r),
            headers=headers,
        )
    assert producer.flush(30) == 0


def produce_raw(
    settings: Settings, key: bytes, value: bytes, headers: list[tuple[str, str | bytes | None]]
) -> None:
    from confluent_kafka import Producer

    from flowmetal.kafka import producer_config

    producer = Producer(producer_config(settings))
    producer.produce(settings.topic(OUTBOX), key=key, value=value, headers=headers)
    assert producer.flush(30) == 0


def read_topic(
    settings: Settings,
    topic: str,
    done: Callable[[list[Any]], bool],
    timeout: float = 60.0,
    settle: float = 0.0,
) -> list[Any]:
    """All committed records of `topic` from the beginning, until `done(records)` (then `settle`
    seconds more, to catch duplicates) or `timeout`. Returns confluent-kafka Message objects."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    from flowmetal.kafka import consumer_config

    consumer = Consumer(consumer_config(settings, f"reader.{time.monotonic_ns()}"))
    meta = consumer.list_topics(topic, timeout=10)
    parts = [TopicPartition(topic, p, OFFSET_BEGINNING) for p in meta.topics[topic].partitions]
    consumer.assign(parts)
    records: list[Any] = []
    deadline = time.monotonic() + timeout
    settle_until: float | None = None
    try:
        while time.monotonic() < deadline:
            for rec in consumer.consume(500, 0.2):
                if rec.error() is None:
                    records.append(rec)
            if settle_until is None and done(records):
                settle_until = time.monotonic() + settle
            if settle_until is not None and time.monotonic() >= settle_until:
                break
    finally:
        consumer.close()
    return records


def read_responses(
    settings: Settings, count: int, timeout: float = 60.0, settle: float = 0.0
) -> list[Message]:
    """The inbox's messages until `count` distinct request ids have an answer."""

    def done(records: list[Any]) -> bool:
        return len({wire.decode_message(r.value()).request_id for r in records}) >= count

    records = read_topic(settings, settings.topic(INBOX), done, timeout, settle)
    return [wire.decode_message(r.value()) for r in records]


def read_dead_letters(
    settings: Settings, count: int, timeout: float = 30.0
) -> list[wire.DeadLetter]:
    records = read_topic(settings, settings.topic(DLQ), lambda rs: len(rs) >= count, timeout)
    return [wire.decode_dead_letter(r.value()) for r in records]


@contextmanager
def running(connector: Any, settings: Settings, **options: Any) -> Iterator[Any]:
    """Run `connector` in a thread (its own event loop) for the duration of the block."""
    from flowmetal.connectors.runtime import ConnectorRuntime

    runtime = ConnectorRuntime(connector, settings, **options)
    errors: list[BaseException] = []

    def main() -> None:
        try:
            asyncio.run(runtime.run())
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    try:
        yield runtime
    finally:
        runtime.stop()
        thread.join(60)
    assert not thread.is_alive(), "the connector did not stop"
    assert not errors, f"the connector failed: {errors[0]!r}"


def env_for(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "FLOWMETAL_BOOTSTRAP": settings.bootstrap,
        "FLOWMETAL_TOPIC_PREFIX": settings.topic_prefix,
        "FLOWMETAL_PARTITIONS": str(settings.partitions),
        "PYTHONUNBUFFERED": "1",
    }


def start_process(
    settings: Settings, args: list[str], log: Path, **env: str
) -> subprocess.Popen[bytes]:
    """`python -m flowmetal.cli <args>` as a real process, its output in `log`; `env` adds
    variables (FLOWMETAL_METRICS_PORT=...)."""
    out = open(log, "ab")  # noqa: SIM115 - closed with the process by the caller's fixture
    return subprocess.Popen(
        [sys.executable, "-c", "from flowmetal.cli import main; main()", *args],
        env={**env_for(settings), **env},
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
