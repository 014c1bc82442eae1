"""End to end through real processes: the HTTP server connector + an interpreter.

Programs are pushed and started through the REST API, their status and
history read back from the read model; callbacks are delivered to the URLs
the interpreter mints (the same base URL and secret as the server), and
cancellation goes through the API down to the VM's current wait.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from server_helpers import Stack, inbox_messages, wait_for

pytestmark = pytest.mark.kafka

CALLBACK_PROGRAM = """\
from flow.http import callback

def main(tag):
    cb = callback.new()
    print(cb.url)
    delivery = await cb.event
    return {"tag": tag, "body": delivery["body"]}
"""

RECEIVE_PROGRAM = """\
from flow.task import receive

def main():
    first = receive()
    second = receive()
    return [first, second]
"""

CANCEL_PROGRAM = """\
from flow.time import sleep

def main():
    try:
        sleep(3600)
        return "slept"
    finally:
        print("cleaned up")
"""


@pytest.fixture(scope="module")
def stack(kafka: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One server and interpreter for the module; each test has its own task ids."""
    running = Stack(kafka.settings("remote-job"), tmp_path_factory.mktemp("stack")).start()
    try:
        yield running
    finally:
        running.stop()


def printed(events: list[dict[str, Any]]) -> list[str]:
    return [line for e in events for line in (e["detail"] or {}).get("output") or []]


def test_a_callback_resumes_the_task_once(stack: Stack) -> None:
    stack.push("cb", CALLBACK_PROGRAM)
    started = stack.server.api(
        "POST", "/v1/tasks", json={"program": "cb", "args": ["x"], "id": "cb-1"}
    )
    assert started.status_code == 201, started.text
    again = stack.server.api(
        "POST", "/v1/tasks", json={"program": "cb", "args": ["y"], "id": "cb-1"}
    )
    assert again.status_code == 200
    stack.wait_status("cb-1", {"waiting"})
    url = wait_for(lambda: printed(stack.history("cb-1")), what="the printed URL")[0]
    assert url.startswith(stack.server.url + "/cb/")

    assert httpx.post(url, json={"job": "done"}).status_code == 202
    task = stack.wait_status("cb-1", {"done", "failed"})
    assert task["status"] == "done", task
    assert task["result"] == {"tag": "x", "body": {"job": "done"}}
    assert httpx.post(url, json={"job": "again"}).status_code == 409
    starts = [m for m in inbox_messages(stack.settings) if m.kind == "start"]
    assert len(starts) == 1


def test_cancel_runs_finally_blocks_and_ends_the_task_cancelled(stack: Stack) -> None:
    stack.push("sleeper", CANCEL_PROGRAM)
    assert (
        stack.server.api("POST", "/v1/tasks", json={"program": "sleeper", "id": "s1"}).status_code
        == 201
    )
    stack.wait_status("s1", {"waiting"})
    resp = stack.server.api("POST", "/v1/tasks/s1/cancel", json={"reason": "no longer needed"})
    assert resp.status_code == 202
    task = stack.wait_status("s1", {"cancelled", "failed", "done"})
    assert task["status"] == "cancelled", task
    assert "cleaned up" in printed(stack.history("s1"))
    assert stack.server.api("POST", "/v1/tasks/s1/cancel").status_code == 409


def test_push_errors_and_messages_through_the_api(stack: Stack) -> None:
    bad = stack.server.api(
        "POST", "/v1/programs", json={"name": "bad", "source": "def main(:\n    return 1\n"}
    )
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert (error["line"], error["filename"]) == (1, "bad.flow") and error["column"] >= 1
    assert stack.server.api("POST", "/v1/tasks", json={"program": "bad"}).status_code == 404

    stack.push("receiver", RECEIVE_PROGRAM)
    assert (
        stack.server.api("POST", "/v1/tasks", json={"program": "receiver", "id": "r1"}).status_code
        == 201
    )
    stack.wait_status("r1", {"waiting"})
    for value in ({"a": 1}, [2, "two"]):
        sent = stack.server.api("POST", "/v1/tasks/r1/messages", json={"value": value})
        assert sent.status_code == 202
    # ?wait= holds the answer until the task has ended (the read model follows the state).
    task = stack.server.api("GET", "/v1/tasks/r1?wait=25").json()
    assert task["status"] == "done", (task, stack.logs())
    assert task["result"] == [{"a": 1}, [2, "two"]]
    # Start and await in one call.
    stack.push("adder", "def main(a, b):\n    return a + b\n")
    body = {"program": "adder", "args": [2, 3], "id": "add-1"}
    added = stack.server.api("POST", "/v1/tasks?wait=25", json=body)
    assert added.status_code == 201
    assert (added.json()["status"], added.json()["result"]) == ("done", 5), stack.logs()
    listed = stack.server.api("GET", "/v1/tasks?status=done").json()["tasks"]
    assert "r1" in [t["id"] for t in listed]
