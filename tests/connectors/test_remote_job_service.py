"""End to end through real processes: the HTTP server connector + an interpreter.

Programs are pushed and started through the REST API, their status and
history read back from the read model; callbacks are delivered to the URLs
the interpreter mints (the same base URL and secret as the server), and
cancellation goes through the API down to the VM's current wait.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
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

CANCEL_PROGRAM = """\
from flow.time import sleep

def main():
    try:
        sleep(3600)
        return "slept"
    finally:
        print("cleaned up")
"""


@pytest.fixture
def stack(kafka: Any, tmp_path: Path) -> Iterator[Stack]:
    running = Stack(kafka.settings("remote-job"), tmp_path).start()
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
