"""An unexpected error in the loop: the open transaction is aborted, never committed.

The loop ends by closing its consumer, which revokes its partitions, and the
revocation commits an open transaction. After an error that struck between
the outputs of one step that would publish half a step. Real broker, real
loop, stand-in VM.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest
from interp_fakes import FakeTable, FakeTask, program

from flowmetal.config import HISTORY
from flowmetal.interpreter.client import TaskClient
from flowmetal.interpreter.hosting import Programs
from flowmetal.interpreter.loop import Interpreter, LoopOptions
from flowmetal.interpreter.store import MemoryStore

pytestmark = pytest.mark.kafka


class Boom(RuntimeError):
    """Stands for a bug of ours striking in the middle of a step's outputs."""


def _loop(settings: Any, group: str) -> Interpreter:
    options = LoopOptions(group=group, commit_ms=20, session_timeout_ms=6000)
    table = FakeTable({"fake": program()})
    return Interpreter(settings, options, MemoryStore(), Programs(table), None, FakeTask)


def test_an_unexpected_error_aborts_the_open_transaction(kafka: Any) -> None:
    settings = kafka.settings("crash-only", partitions=1)
    group = f"g-{uuid.uuid4().hex[:8]}"
    first = _loop(settings, group)
    real_produce = first.txn.produce

    def produce(record: Any) -> None:
        # The fourth step's state goes out, then the loop breaks before its history.
        if record.topic == HISTORY and first.stats["steps"] == 3:
            raise Boom("between a step's state and its history")
        real_produce(record)

    first.txn.produce = produce  # type: ignore[method-assign]
    errors: list[BaseException] = []
    with TaskClient(settings) as client:
        thread = _run(first, errors)
        tid, _ = client.start("fake", [3], task_id="c", entry="counter", version="f" * 64)
        client.send(tid, 1)
        client.send(tid, 2)
        _wait_for_steps(client, tid, 3)
        client.send(tid, 3)  # its step breaks in the middle
        thread.join(60)
        assert [type(e) for e in errors] == [Boom]
        # Nothing of the broken step is visible: the task is where it was.
        shown = client.show(tid)
        assert shown is not None and (shown.status, shown.steps) == ("waiting", 3)
        second = _loop(settings, group)
        thread = _run(second, errors)
        try:
            final = client.wait(tid, 60, 0)
            history = client.history(tid)
        finally:
            second.stop()
            thread.join(30)
    assert [type(e) for e in errors] == [Boom]
    assert (final.status, final.result_value) == ("done", [3, 6])
    assert [e["seq"] for e in history] == [1, 2, 3, 4]
    assert [e["kind"] for e in history] == ["started", "step", "step", "done"]


def _run(loop: Interpreter, errors: list[BaseException]) -> threading.Thread:
    def target() -> None:
        try:
            loop.run()
        except BaseException as exc:  # checked by the test
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def _wait_for_steps(client: TaskClient, task_id: str, steps: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        shown = client.show(task_id)
        if shown is not None and shown.steps >= steps:
            return
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} did not reach {steps} steps")
