"""Flowmetal programs run by real interpreter processes through the real broker."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from interp_procs import ROOT, Interpreters, push_source, wait_until

from flowmetal.config import INBOX
from flowmetal.interpreter.client import TaskClient
from flowmetal.kafka import partition_for, producer_config

pytestmark = pytest.mark.kafka

FLOWMETAL = [sys.executable, "-c", "from flowmetal.cli import main; main()"]

FAN_OUT = """
from flow.task import spawn, wait_all

def square(x):
    return x * x

def main(n):
    children = [spawn(square, i) for i in range(n)]
    return sum(wait_all(children))
"""

SLEEPY = """
from flow.time import sleep, now

def main(seconds):
    began = now()
    sleep(seconds)
    return now() - began >= seconds
"""

PATIENT = """
from flow.task import receive
from flow.time import timeout, Timeout

def main(seconds):
    try:
        with timeout(seconds):
            got = receive()
        return ["received", got]
    except Timeout:
        return "timed out"
"""

CHAT = """
from flow.task import spawn, send, receive, self_id

def child(parent):
    send(parent, "hello from " + self_id())
    return "sent"

def main():
    handle = spawn(child, self_id())
    heard = receive()
    return [heard, await handle]
"""

SPIN = """
def main():
    n = 0
    while True:
        n += 1
"""

ADD = """
def main(a, b):
    return a + b
"""


@pytest.fixture
def procs(kafka: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Interpreters]:
    partitions = getattr(request, "param", 3)
    settings = kafka.settings(request.node.name, partitions=partitions)
    group = Interpreters(settings, tmp_path)
    try:
        yield group
    finally:
        group.close()


def _cli(procs: Interpreters, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FLOWMETAL, *args],
        env=procs.env(procs.tmp_path),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_the_task_cli(procs: Interpreters) -> None:
    push_source(procs.settings, ADD, "add")
    push_source(procs.settings, PATIENT, "patient")
    procs.start("one")
    done = _cli(procs, "tasks", "start", "add", "--args", "[20, 22]", "--id", "sum-1", "--wait")
    assert done.returncode == 0, done.stderr + procs.tails()
    assert done.stdout.strip() == "42"
    assert done.stderr.strip() == "task sum-1"
    # The same id again: the start is ignored and the result is the first one's.
    again = _cli(procs, "tasks", "start", "add", "--args", "[1, 1]", "--id", "sum-1", "--wait")
    assert (again.returncode, again.stdout.strip()) == (0, "42")
    shown = json.loads(_cli(procs, "tasks", "show", "sum-1", "--json").stdout)
    assert (shown["status"], shown["result"], shown["program"]) == ("done", 42, "add")
    history = _cli(procs, "tasks", "history", "sum-1", "--json").stdout.splitlines()
    assert [json.loads(line)["kind"] for line in history] == ["done"]

    failed = _cli(procs, "tasks", "start", "add", "--args", '["a", 1]', "--wait")
    assert failed.returncode == 1
    assert "TypeError" in failed.stderr and 'add.flow", line 3' in failed.stderr
    as_json = _cli(procs, "tasks", "start", "add", "--args", '["a", 1]', "--wait", "--json")
    assert as_json.returncode == 1
    final = json.loads(as_json.stdout)
    assert final["task_id"].startswith("t-") and final["status"] == "failed"
    assert final["error"]["type"] == "TypeError"

    slow = _cli(
        procs,
        "tasks",
        "start",
        "patient",
        "--args",
        "[60]",
        "--id",
        "p-1",
        "--wait",
        "--timeout",
        "2",
    )
    assert slow.returncode == 2 and "did not end within 2s" in slow.stderr
    waiting = _cli(procs, "tasks", "show", "p-1")
    assert "status   waiting" in waiting.stdout and "timer" in waiting.stdout
    assert _cli(procs, "tasks", "send", "p-1", '{"x": 1}').returncode == 0
    with TaskClient(procs.settings) as client:
        assert client.wait("p-1", 60, 0).result_value == ["received", {"x": 1}]
    assert _cli(procs, "tasks", "start", "patient", "--args", "[60]", "--id", "p-2").returncode == 0
    assert _cli(procs, "tasks", "cancel", "p-2").returncode == 0
    with TaskClient(procs.settings) as client:
        assert client.wait("p-2", 60, 0).status == "cancelled"


def test_fan_out_sleep_timeout_and_messages(procs: Interpreters) -> None:
    for source, name in [
        (FAN_OUT, "fan"),
        (SLEEPY, "sleepy"),
        (PATIENT, "patient"),
        (CHAT, "chat"),
    ]:
        push_source(procs.settings, source, name)
    procs.start("one")
    with TaskClient(procs.settings) as client:
        fan, _ = client.start("fan", [10])
        sleepy, _ = client.start("sleepy", [1.5])
        patient, _ = client.start("patient", [1])
        chat, _ = client.start("chat", [])
        assert client.wait(fan, 60, 0).result_value == 285
        assert client.wait(sleepy, 60, 0).result_value is True
        assert client.wait(patient, 60, 0).result_value == "timed out"
        answer = client.wait(chat, 60, 0).result_value
        assert answer == [f"hello from {chat}.1", "sent"]
        children = [e for e in client.history(fan) if e["detail"]["effects"]]
        assert sum(len(e["detail"]["effects"]) for e in children) == 10


def test_receive_before_the_timeout(procs: Interpreters) -> None:
    push_source(procs.settings, PATIENT, "patient")
    procs.start("one")
    with TaskClient(procs.settings) as client:
        patient, _ = client.start("patient", [30])
        wait_until(lambda: client.show(patient) or None, 30, "the task to start", procs)
        client.send(patient, {"hi": 1})
        assert client.wait(patient, 60, 0).result_value == ["received", {"hi": 1}]
        # Its timer went with the block: nothing is left pending.
        assert client.show(patient).timers == ()


def test_dead_letters_and_processing_goes_on(
    procs: Interpreters, free_port: int, scrape: Callable[[int], dict[str, float]]
) -> None:
    from confluent_kafka import Producer

    from flowmetal import wire
    from flowmetal.config import DLQ
    from flowmetal.kafka import consumer_config

    push_source(procs.settings, ADD, "add")
    procs.start("one", "--metrics-port", str(free_port))
    settings = procs.settings
    producer = Producer(producer_config(settings))
    producer.produce(settings.topic(INBOX), key=b"garbage", value=b"\xc3\x01 not a message")
    producer.flush(10)
    with TaskClient(settings) as client:
        client.send("nobody-home", 1)
        tid, _ = client.start("add", [1, 2])
        assert client.wait(tid, 60, 0).result_value == 3
    from confluent_kafka import Consumer

    consumer = Consumer(consumer_config(settings, "dlq-reader"))
    consumer.subscribe([settings.topic(DLQ)])
    letters: list[wire.DeadLetter] = []
    deadline = time.monotonic() + 30
    while len(letters) < 2 and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and not msg.error():
            letters.append(wire.decode_dead_letter(msg.value() or b""))
    consumer.close()
    by_key = {letter.original_key: letter for letter in letters}
    assert set(by_key) == {b"garbage", b"nobody-home"}, letters
    garbage = by_key[b"garbage"]
    assert "undecodable" in garbage.error and garbage.original_value == b"\xc3\x01 not a message"
    assert garbage.topic == settings.topic(INBOX)
    assert garbage.partition == partition_for("garbage", settings.partitions)
    assert "no task 'nobody-home'" in by_key[b"nobody-home"].error
    # The same letters, as an operator lists them.
    listed = _cli(procs, "dlq", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["key"]: row for row in map(json.loads, listed.stdout.splitlines())}
    assert set(rows) == {"garbage", "nobody-home"}
    assert base64.b64decode(rows["garbage"]["value_base64"]) == b"\xc3\x01 not a message"
    assert rows["garbage"]["topic"] == settings.topic(INBOX)
    assert "no task 'nobody-home'" in rows["nobody-home"]["error"]
    text = _cli(procs, "dlq", "list").stdout
    assert f"{settings.topic(INBOX)}[" in text and "key 'nobody-home': no task" in text
    # The same counts, as Prometheus sees them.
    metrics = scrape(free_port)
    assert metrics["flowmetal_interpreter_dead_letters_total"] == 2
    assert metrics["flowmetal_interpreter_steps_total"] >= 1
    assert metrics["flowmetal_interpreter_commits_total"] >= 1
    assert metrics["flowmetal_interpreter_partitions_owned"] == settings.partitions
    handled = metrics['flowmetal_interpreter_step_seconds_bucket{le="+Inf"}']
    assert handled == metrics["flowmetal_interpreter_step_seconds_count"] >= 3  # 1 step, 2 letters
    assert metrics["flowmetal_interpreter_commit_seconds_count"] >= 1


@pytest.mark.parametrize("procs", [1], indirect=True)
def test_a_busy_task_yields_and_can_be_cancelled(procs: Interpreters) -> None:
    push_source(procs.settings, SPIN, "spin")
    push_source(procs.settings, ADD, "add")
    procs.start("one", "--fuel", "20000")
    with TaskClient(procs.settings) as client:
        spinner, _ = client.start("spin", [])
        wait_until(lambda: len(client.history(spinner)) >= 3, 60, "the spinner to yield", procs)
        began = time.monotonic()
        adder, _ = client.start("add", [2, 2])
        # One partition: the adder shares it with the spinner and still finishes promptly.
        assert client.wait(adder, 30, 0).result_value == 4
        assert time.monotonic() - began < 10
        assert client.show(spinner).status == "yielded"
        client.cancel(spinner)
        ended = client.wait(spinner, 30, 0)
        assert ended.status == "cancelled"
        kinds = [e["kind"] for e in client.history(spinner)]
        assert kinds[0] == "started" and kinds[-1] == "cancelled"
