"""The local runner's host side, driven by fake tasks (tests/runner/fakevm.py).

Each test writes a tiny "program" as Python generators and checks that the
runner delivers what a real VM would be told: timers, HTTP responses,
callback deliveries, connector answers, child results and messages.
"""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any

import httpx
from fakevm import YIELD, FakeProgram, FakeTask, value_of

from flowmetal.protocol import (
    CancelTimer,
    Request,
    SendMessage,
    SpawnTask,
    StartTimer,
)
from flowmetal.runner import LocalRunner, RunOutcome


def run(
    functions: dict[str, Any],
    *args: Any,
    connectors: dict[str, Any] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    programs: dict[str, Any] | None = None,
) -> tuple[RunOutcome, FakeProgram, str]:
    program = FakeProgram(functions)
    out = io.StringIO()
    runner = LocalRunner(
        program,
        connectors=connectors,
        programs=programs,
        task_factory=FakeTask,
        out=out,
        http_transport=transport,
    )
    outcome = asyncio.run(runner.run("main", list(args), {}))
    return outcome, program, out.getvalue()


def test_result_and_output() -> None:
    def main(t, x):  # type: ignore[no-untyped-def]
        t.print("hello")
        return x + 1
        yield

    outcome, _, out = run({"main": main}, 41)
    assert (outcome.status, outcome.result, outcome.ok) == ("done", 42, True)
    assert out == "hello\n"
    assert outcome.output == ["hello"]


def test_failure_is_in_the_outcome() -> None:
    def main(t):  # type: ignore[no-untyped-def]
        raise ValueError("nope")
        yield

    outcome, _, _ = run({"main": main})
    assert outcome.status == "failed"
    assert outcome.error is not None and outcome.error.type == "ValueError"


def test_timer_fires_after_its_delay_and_cancelled_one_never() -> None:
    def main(t):  # type: ignore[no-untyped-def]
        keep, drop = t.rid(), t.rid()
        started = time.monotonic()
        msg = yield [
            StartTimer(drop, t.id, 0.05),
            StartTimer(keep, t.id, 0.15),
            CancelTimer(drop, t.id),
        ]
        return [msg.kind, msg.request_id == keep, time.monotonic() - started]

    outcome, _, _ = run({"main": main})
    kind, right_timer, elapsed = outcome.result
    assert kind == "timer" and right_timer
    assert elapsed >= 0.14


def test_spawn_children_and_gather_their_results() -> None:
    def square(t, x):  # type: ignore[no-untyped-def]
        return x * x
        yield

    def main(t, n):  # type: ignore[no-untyped-def]
        spawns = []
        for i in range(n):
            rid = t.rid()
            spawns.append(SpawnTask(rid, t.id, rid, None, None, "square", [i], {}))
        results = {}
        msg = yield spawns
        while True:
            results[msg.request_id] = value_of(msg)
            if len(results) == n:
                return sum(results.values())
            msg = yield []

    outcome, program, _ = run({"main": main, "square": square}, 10)
    assert outcome.result == 285
    child_start = program.messages["local.3"][0]
    assert child_start.kind == "start"
    assert child_start.payload["parent"] == "local"
    assert child_start.payload["parent_request"] == "local.3"


def test_failed_child_answers_parent_with_its_error() -> None:
    def child(t):  # type: ignore[no-untyped-def]
        raise KeyError("k")
        yield

    def main(t):  # type: ignore[no-untyped-def]
        rid = t.rid()
        msg = yield [SpawnTask(rid, t.id, rid, None, None, "child", [], {})]
        return msg.payload

    outcome, _, _ = run({"main": main, "child": child})
    assert outcome.result["ok"] is False
    assert outcome.result["error"]["type"] == "KeyError"


def test_spawn_of_an_unknown_program_is_refused_clearly() -> None:
    def main(t):  # type: ignore[no-untyped-def]
        rid = t.rid()
        msg = yield [SpawnTask(rid, t.id, rid, "billing", None, "main", [], {})]
        return msg.payload

    outcome, _, _ = run({"main": main})
    assert outcome.result["ok"] is False
    assert "cannot spawn program 'billing'" in outcome.result["error"]["message"]


def test_spawn_of_a_given_program_by_name() -> None:
    def other_main(t, x):  # type: ignore[no-untyped-def]
        return f"billing {x}"
        yield

    def main(t):  # type: ignore[no-untyped-def]
        rid = t.rid()
        msg = yield [SpawnTask(rid, t.id, rid, "billing", None, "main", [7], {})]
        return value_of(msg)

    billing = FakeProgram({"main": other_main}, filename="billing.flow")
    outcome, _, _ = run({"main": main}, programs={"billing": billing})
    assert outcome.result == "billing 7"


def test_send_and_receive_between_tasks() -> None:
    def child(t):  # type: ignore[no-untyped-def]
        msg = yield []
        return msg.payload

    def main_sends(t):  # type: ignore[no-untyped-def]
        rid = t.rid()
        msg = yield [
            SpawnTask(rid, t.id, rid, None, None, "child", [], {}),
            SendMessage(t.rid(), t.id, rid, {"hi": 1}),
        ]
        return value_of(msg)

    outcome, _, _ = run({"main": main_sends, "child": child})
    assert outcome.result == {"from": "local", "value": {"hi": 1}}


def test_yielded_task_gets_continue() -> None:
    def main(t):  # type: ignore[no-untyped-def]
        kinds = []
        for _ in range(3):
            msg = yield YIELD
            kinds.append(msg.kind)
        return kinds

    outcome, _, _ = run({"main": main})
    assert outcome.result == ["continue"] * 3


def test_waiting_for_nothing_is_a_deadlock() -> None:
    def main(t):  # type: ignore[no-untyped-def]
        yield []  # like receive() with nobody to send
        return "unreachable"

    outcome, _, _ = run({"main": main})
    assert outcome.status == "failed"
    assert outcome.error is not None and outcome.error.type == "Deadlock"


def test_a_step_that_raises_fails_the_task_with_internal_error() -> None:
    class Broken(FakeTask):
        def step(self, message):  # type: ignore[no-untyped-def]
            raise RuntimeError("VM bug")

    program = FakeProgram({"main": lambda t: iter(())})
    runner = LocalRunner(program, task_factory=Broken, out=io.StringIO())
    outcome = asyncio.run(runner.run("main", [], {}))
    assert outcome.status == "failed"
    assert outcome.error is not None and outcome.error.type == "InternalError"
    assert "VM bug" in outcome.error.message


class Echo:
    kind = "echo"

    async def handle(self, request: Request) -> Any:
        await asyncio.sleep(0)
        return request.payload


class Boom:
    kind = "boom"

    async def handle(self, request: Request) -> Any:
        raise LookupError("no such thing")


def test_connectors_answers_errors_and_unknown_kinds() -> None:
    def main(t):  # type: ignore[no-untyped-def]
        answers = {}
        requests = [
            Request(t.rid(), t.id, "echo", {"n": 1}),
            Request(t.rid(), t.id, "boom", {}),
            Request(t.rid(), t.id, "nobody", {}),
        ]
        msg = yield requests
        while True:
            answers[msg.request_id] = msg.payload
            if len(answers) == 3:
                return [answers[r.id] for r in requests]
            msg = yield []

    outcome, _, _ = run({"main": main}, connectors={"echo": Echo(), "boom": Boom()})
    echo, boom, nobody = outcome.result
    assert echo == {"ok": True, "value": {"n": 1}}
    assert boom == {"ok": False, "error": {"type": "LookupError", "message": "no such thing"}}
    assert nobody["ok"] is False
    assert nobody["error"]["message"] == "no connector for kind 'nobody'"


def test_counter_of_twenty_echo_round_trips() -> None:
    def main(t, steps):  # type: ignore[no-untyped-def]
        total = 0
        for _ in range(steps):
            msg = yield [Request(t.rid(), t.id, "echo", {"n": 1})]
            total += value_of(msg)["n"]
        return total

    outcome, _, _ = run({"main": main}, 20, connectors={"echo": Echo()})
    assert outcome.result == 20


def test_children_lines_are_prefixed_with_their_task_id() -> None:
    def child(t):  # type: ignore[no-untyped-def]
        t.print("from the child")
        return None
        yield

    def main(t):  # type: ignore[no-untyped-def]
        rid = t.rid()
        t.print("from the root")
        yield [SpawnTask(rid, t.id, rid, None, None, "child", [], {})]
        return "ok"

    outcome, _, out = run({"main": main, "child": child})
    assert outcome.result == "ok"
    assert out.splitlines() == ["from the root", "[local.1] from the child"]
