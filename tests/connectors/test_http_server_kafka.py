"""The HTTP server connector as a real process against the real broker.

Security (forged and replayed callbacks, missing tokens, oversize bodies),
"one delivery each" across a restart and across two server processes, and
the read model materialising what lands in the `state` and `history` topics.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import SECRET, ServerProcess, inbox_messages, wait_for

from flowmetal import wire
from flowmetal.callbacks import callback_url
from flowmetal.config import HISTORY, STATE

pytestmark = pytest.mark.kafka


@pytest.fixture
def servers() -> Any:
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.stop()


def test_forged_replayed_unauthenticated_and_oversized_requests(
    kafka: Any, tmp_path: Path, servers: list[ServerProcess]
) -> None:
    settings = kafka.settings("http-server-security")
    server = ServerProcess(settings, tmp_path / "server.log").start()
    servers.append(server)

    forged = callback_url(server.url, "not-the-secret", "task-1", "task-1.1")
    assert httpx.post(forged, json={"evil": True}).status_code == 404
    assert inbox_messages(settings) == []

    url = callback_url(server.url, SECRET, "task-1", "task-1.1")
    assert httpx.post(url, json={"job": "done"}).status_code == 202
    assert httpx.post(url, json={"job": "again"}).status_code == 409
    assert httpx.put(url, content=b"x" * (1024 * 1024 + 1000)).status_code == 413
    [message] = inbox_messages(settings)
    assert message.task_id == "task-1" and message.request_id == "task-1.1"
    assert message.payload["value"]["body"] == {"job": "done"}

    big = callback_url(server.url, SECRET, "task-1", "task-1.2")
    assert httpx.post(big, content=b"x" * (1024 * 1024 + 1000)).status_code == 413
    assert httpx.get(server.url + "/v1/tasks").status_code == 401
    wrong = {"Authorization": "Bearer wrong"}
    assert httpx.post(server.url + "/v1/tasks", json={}, headers=wrong).status_code == 401
    assert len(inbox_messages(settings)) == 1

    metrics = httpx.get(server.url + "/metrics").text
    assert "flowmetal_callbacks_delivered_total 1" in metrics
    assert 'flowmetal_callbacks_rejected_total{reason="forged"} 1' in metrics


def test_one_delivery_across_a_restart_and_a_second_server(
    kafka: Any, tmp_path: Path, servers: list[ServerProcess]
) -> None:
    settings = kafka.settings("http-server-once")
    first = ServerProcess(settings, tmp_path / "first.log", instance="a").start()
    servers.append(first)
    url = callback_url(first.url, SECRET, "task-2", "task-2.7")
    assert httpx.post(url, json={"n": 1}).status_code == 202

    # A second server (own read model) learns the marker from the callbacks topic.
    second = ServerProcess(settings, tmp_path / "second.log", instance="b").start()
    servers.append(second)
    other = url.replace(first.url, second.url)
    assert httpx.post(other, json={"n": 2}).status_code == 409  # healthy = caught up

    # The first server, killed and restarted, still knows.
    first.kill()
    first.start()
    assert httpx.post(url, json={"n": 3}).status_code == 409
    assert [m.payload["value"]["body"] for m in inbox_messages(settings)] == [{"n": 1}]


def produce(settings: Any, name: str, key: str, value: bytes) -> None:
    from confluent_kafka import Producer

    from flowmetal.kafka import producer_config

    producer = Producer(producer_config(settings))
    producer.produce(settings.topic(name), key=key.encode(), value=value)
    assert producer.flush(30) == 0


def test_the_read_model_follows_state_and_history_and_resumes(
    kafka: Any, tmp_path: Path, servers: list[ServerProcess]
) -> None:
    settings = kafka.settings("http-server-readmodel")
    server = ServerProcess(settings, tmp_path / "server.log").start()
    servers.append(server)
    assert server.api("GET", "/v1/tasks/t1").status_code == 404

    def state(status: str, **kw: Any) -> bytes:
        record = wire.StateRecord("t1", status, "prog", "v1", b"snap", **kw)
        return wire.encode_state(record)

    def event(seq: int, kind: str) -> bytes:
        return wire.encode_history(
            {
                "task_id": "t1",
                "seq": seq,
                "kind": kind,
                "time": int(time.time() * 1000),
                "detail": {},
            }
        )

    produce(settings, STATE, "t1", state("waiting", waiting_for="t1.1"))
    produce(settings, HISTORY, "t1", event(1, "started"))
    found = wait_for(
        lambda: server.api("GET", "/v1/tasks/t1").json().get("status") == "waiting",
        what="the task in the read model",
    )
    assert found
    # Sending and cancelling need a live task: this one is.
    assert server.api("POST", "/v1/tasks/t1/messages", json={"value": 5}).status_code == 202

    server.stop()
    produce(settings, STATE, "t1", state("done", result="42"))
    produce(settings, HISTORY, "t1", event(2, "finished"))
    server.start()
    task = wait_for(
        lambda: (t := server.api("GET", "/v1/tasks/t1").json()).get("status") == "done" and t,
        what="the finished task",
    )
    assert task["result"] == 42
    history = server.api("GET", "/v1/tasks/t1/history").json()["events"]
    assert [e["kind"] for e in history] == ["started", "finished"]  # resumed, not doubled
    assert server.api("POST", "/v1/tasks/t1/cancel").status_code == 409
    [message] = inbox_messages(settings)
    assert message.kind == "message" and message.payload["value"] == 5
