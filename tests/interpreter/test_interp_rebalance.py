"""A rebalance served inside consume(): no record lost, none handled twice.

librdkafka runs the rebalance callbacks inside poll()/consume(), after the
records collected so far in that call have moved the consumer's positions but
before the loop has handled them. These tests replay exactly that with the real
broker and the real loop (stand-in VM): a wrapper around the loop's consumer
calls the loop's own revoke (and assign) callbacks in the middle of a
consume() that returned records, the way librdkafka does.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest
from interp_fakes import FakeTable, FakeTask, program

from flowmetal.interpreter.client import TaskClient
from flowmetal.interpreter.hosting import Programs
from flowmetal.interpreter.loop import Interpreter, LoopOptions
from flowmetal.interpreter.store import MemoryStore

pytestmark = pytest.mark.kafka

COUNT = 60


class RebalanceInsideConsume:
    """The loop's consumer, with one revocation served inside a consume() that got records.

    `together`: the partitions come back in that same call (an eager rebalance, revoke
    then assign); otherwise they come back on the next poll()."""

    def __init__(self, loop: Interpreter, together: bool) -> None:
        self.loop, self.real, self.together = loop, loop.consumer, together
        self.state = "armed"
        self.stale = 0  # records returned after the revocation was served
        self._partitions: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Any]:
        messages = self.real.consume(num_messages=num_messages, timeout=timeout)
        if self.state == "armed" and self.loop.txn.open and len(messages) >= 2:
            self._partitions = self.real.assignment()
            self.loop._on_revoke(self.real, self._partitions)
            self.real.unassign()
            self.state, self.stale = "revoked", len(messages)
            if self.together:
                self._assign_again()
        return messages

    def poll(self, timeout: float = -1) -> Any:
        if self.state == "revoked":
            self._assign_again()
        return self.real.poll(timeout)

    def _assign_again(self) -> None:
        from confluent_kafka import TopicPartition

        # Without offsets: the consumer starts at the committed ones, as after a rebalance.
        again = [TopicPartition(tp.topic, tp.partition) for tp in self._partitions]
        self.loop._on_assign(self.real, again)
        self.state = "done"


@pytest.mark.parametrize("together", [False, True], ids=["assign-later", "assign-same-call"])
def test_revocation_inside_consume(kafka: Any, together: bool) -> None:
    from confluent_kafka import Producer

    from flowmetal import wire
    from flowmetal.config import INBOX
    from flowmetal.protocol import Message

    settings = kafka.settings("rebalance-in-consume", partitions=1)
    # Long transactions without idle commits: records arrive while one is open.
    options = LoopOptions(
        group=f"g-{uuid.uuid4().hex[:8]}",
        commit_ms=1500,
        idle_commit=False,
        session_timeout_ms=6000,
    )
    table = FakeTable({"fake": program()})
    loop = Interpreter(settings, options, MemoryStore(), Programs(table), None, FakeTask)
    wrapper = RebalanceInsideConsume(loop, together)
    loop.consumer = wrapper
    errors: list[BaseException] = []

    def target() -> None:
        try:
            loop.run()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    try:
        with TaskClient(settings) as client:
            tid, _ = client.start("fake", [COUNT], task_id="c", entry="counter", version="f" * 64)
            producer = Producer({"bootstrap.servers": settings.bootstrap, "linger.ms": 5})
            # Bursts, so that a consume() inside an open transaction returns several records.
            for value in range(1, COUNT + 1):
                message = Message(
                    tid, "message", f"m-{value}", None, {"from": None, "value": value}
                )
                producer.produce(
                    settings.topic(INBOX), key=tid.encode(), value=wire.encode_message(message)
                )
                if value % 10 == 0:
                    producer.flush(10)
                    time.sleep(0.4)
            producer.flush(10)
            final = client.wait(tid, 60, 0)
            history = client.history(tid)
    finally:
        loop.stop()
        thread.join(30)
    assert not errors, errors
    assert wrapper.state == "done" and wrapper.stale >= 2, "the revocation was never injected"
    # Every value exactly once: none skipped by the revocation's commit, none twice.
    assert (final.status, final.result_value) == ("done", [COUNT, COUNT * (COUNT + 1) // 2])
    assert [e["seq"] for e in history] == list(range(1, COUNT + 2))
