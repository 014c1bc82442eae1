"""A connector in another language: Java with only kafka-clients (the broker's own jars),
following docs/connectors.md — hand-written Avro, the kind header, the transaction recipe."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from connector_helpers import ROOT, produce_requests, read_responses, read_topic

from flowmetal import wire
from flowmetal.kafka import partition_for
from flowmetal.protocol import Request

pytestmark = pytest.mark.kafka

JARS = ROOT / "ops" / "kafka" / ".jars"
SOURCE = Path(__file__).resolve().parent / "java" / "FlowmetalEcho.java"


@pytest.mark.skipif(shutil.which("java") is None, reason="needs a JDK")
def test_a_java_connector_answers_requests_the_python_side_reads(kafka) -> None:
    if not any(JARS.glob("kafka-clients-*.jar")):
        pytest.skip("the broker's jars are not resolved (ops/kafka/broker start does it)")
    settings = kafka.settings("java")
    produce_requests(
        settings,
        [
            Request(id="j.1", task_id="java-task", kind="echo", payload={"n": 1, "s": "é"}),
            Request(id="h.1", task_id="java-task", kind="http", payload={"url": "x"}),
            Request(
                id="j.2", task_id="other-task", kind="echo", payload=[1, 2], timeout=2.5, retries=3
            ),
        ],
    )
    run = subprocess.run(
        [
            "java",
            "-cp",
            f"{JARS}/*",
            str(SOURCE),
            settings.bootstrap,
            settings.topic_prefix,
            "echo",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    messages = {m.request_id: m for m in read_responses(settings, 2, settle=1.0)}
    assert set(messages) == {"j.1", "j.2"}
    assert messages["j.1"].payload == {"ok": True, "value": {"n": 1, "s": "é"}}
    assert messages["j.1"].task_id == "java-task" and messages["j.1"].id == "j.1:response"
    assert messages["j.2"].payload == {"ok": True, "value": [1, 2]}
    # Java's default partitioner and ours agree: the response is on the task's partition.
    records = read_topic(settings, settings.topic("inbox"), lambda rs: len(rs) >= 2)
    for rec in records:
        assert rec.partition() == partition_for(rec.key(), settings.partitions)
        message, sent_at = wire.decode_message_with_time(rec.value())
        assert sent_at is not None and sent_at > 0


@pytest.mark.skipif(shutil.which("java") is None, reason="needs a JDK")
def test_a_java_connector_drives_a_task_through_the_interpreter(
    kafka, processes, tmp_path: Path
) -> None:
    """The whole loop with a non-Python connector: a task's three `call("echo", ...)`
    requests are answered by the Java client, and the task finishes with their sum."""
    from test_connector_counter import COUNTER, start_interpreter

    from flowmetal.interpreter.client import TaskClient
    from flowmetal.programs import push

    if not any(JARS.glob("kafka-clients-*.jar")):
        pytest.skip("the broker's jars are not resolved (ops/kafka/broker start does it)")
    settings = kafka.settings("java-task")
    push(settings, COUNTER, "counter.flow", "counter")
    processes.append(
        start_interpreter(
            settings, kafka.group_id("java-interp"), tmp_path / "interp.log", tmp_path / "state"
        )
    )
    with TaskClient(settings) as client:
        task_id, _ = client.start("counter", [3], task_id="java-driven")
        java = [
            "java",
            "-cp",
            f"{JARS}/*",
            str(SOURCE),
            settings.bootstrap,
            settings.topic_prefix,
            "echo",
            "3",
        ]
        run = subprocess.run(java, capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stderr[-3000:]
        record = client.wait(task_id, timeout=60, start=0)
    log = (tmp_path / "interp.log").read_text(errors="replace")[-3000:]
    assert record.status == "done", log
    assert record.result_value == 3
