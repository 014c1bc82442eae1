"""The SDK's serving policy and the runtime's commit-point bookkeeping, without a broker."""

from __future__ import annotations

import asyncio
from typing import Any

from flowmetal.connectors.runtime import _Entry, _Out, _Partition
from flowmetal.connectors.sdk import Connector, ConnectorError, RetryableError, backoff_delay, serve
from flowmetal.protocol import JSON, Request


class Scripted(Connector):
    """Each attempt takes the next outcome: an exception to raise, "sleep", or a value."""

    kind = "scripted"
    backoff_initial = 0.001

    def __init__(self, *outcomes: Any, default_timeout: float | None = 5.0) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0
        self.default_timeout = default_timeout

    async def handle(self, request: Request) -> JSON:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome == "sleep":
            await asyncio.sleep(10)
        return outcome


def _serve(connector: Any, retries: int = 0, timeout: float | None = None) -> JSON:
    request = Request(
        id="t.1", task_id="t", kind="scripted", payload=None, timeout=timeout, retries=retries
    )
    return asyncio.run(serve(connector, request))


def test_a_value_is_ok_and_errors_carry_their_type() -> None:
    assert _serve(Scripted({"a": [1]})) == {"ok": True, "value": {"a": [1]}}
    assert _serve(Scripted(ConnectorError("gone", type="KeyError"))) == {
        "ok": False,
        "error": {"type": "KeyError", "message": "gone"},
    }
    assert _serve(Scripted(ValueError("bad"))) == {
        "ok": False,
        "error": {"type": "ValueError", "message": "bad"},
    }
    out = _serve(Scripted({1, 2}))  # a set is not JSON
    assert out["ok"] is False and out["error"]["type"] == "ConnectorError"


def test_only_retryable_errors_and_timeouts_are_retried() -> None:
    flaky = Scripted(RetryableError("a"), RetryableError("b"), "done")
    assert _serve(flaky, retries=2) == {"ok": True, "value": "done"} and flaky.calls == 3
    out_of_tries = Scripted(RetryableError("a"), RetryableError("b"), "never")
    assert _serve(out_of_tries, retries=1)["error"] == {"type": "RetryableError", "message": "b"}
    permanent = Scripted(ConnectorError("no"), "never")
    assert _serve(permanent, retries=5)["ok"] is False and permanent.calls == 1
    slow = Scripted("sleep", "fast")
    assert _serve(slow, retries=1, timeout=0.05) == {"ok": True, "value": "fast"}
    always_slow = Scripted("sleep", "sleep")
    out = _serve(always_slow, retries=1, timeout=0.05)
    assert out["error"]["type"] == "Timeout" and always_slow.calls == 2


def test_the_connector_default_timeout_applies_when_the_request_has_none() -> None:
    out = _serve(Scripted("sleep", default_timeout=0.05))
    assert out["error"]["type"] == "Timeout"


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_delay(a, 0.1, 0.5) for a in (1, 2, 3, 4)] == [0.1, 0.2, 0.4, 0.5]


def _out(n: int) -> list[_Out]:
    return [_Out("inbox", b"k", str(n).encode(), [])]


def test_the_commit_point_stops_at_the_oldest_unfinished_request() -> None:
    part = _Partition()
    a, b, c = _Entry(10), _Entry(12, _out(12), done=True), _Entry(13)
    part.entries.extend([a, b, c])
    part.next_offset = 15  # 11 and 14 were records of other kinds: nothing to hold
    assert part.take_ready() == ([], 10)  # 12 is finished but waits for 10
    part.committed = 10
    assert part.take_ready() == ([], None)  # nothing new to commit
    a.out, a.done = _out(10), True
    records, commit = part.take_ready()
    assert [r.value for r in records] == [b"10", b"12"] and commit == 13
    part.committed = 13
    c.out, c.done = _out(13), True
    records, commit = part.take_ready()
    assert [r.value for r in records] == [b"13"] and commit == 15  # past the skipped 14


def test_a_partition_of_only_other_kinds_still_commits_past_them() -> None:
    part = _Partition()
    assert part.take_ready() == ([], None)
    part.next_offset = 7
    assert part.take_ready() == ([], 7)
