"""Effects as requests: a Task driven by hand, message by message."""

from __future__ import annotations

import textwrap

import pytest

from flowmetal import protocol
from flowmetal.vm.testing import Driver


def drive(source: str, **kw) -> Driver:
    return Driver(textwrap.dedent(source), **kw)


@pytest.fixture(params=[False, True], ids=["live", "roundtrip"])
def roundtrip(request) -> bool:
    """Every effect test runs twice: as is, and restored from a snapshot after every step."""
    return request.param


def test_sleep_starts_a_timer_and_resumes_when_it_fires(roundtrip: bool) -> None:
    d = drive(
        """
        from flow.time import sleep, now
        def main():
            t0 = now()
            sleep(2.5)
            return now() - t0
        """,
        roundtrip=roundtrip,
    )
    r = d.start()
    assert r.status == "waiting"
    assert r.waiting_for == "timer t1.1"
    assert r.effects == [protocol.StartTimer("t1.1", "t1", 2.5)]
    d.host.time += 3  # type: ignore[attr-defined]
    r = d.fire("t1.1")
    assert (r.status, r.result) == ("done", 3.0)
    assert r.effects[-1] == protocol.TaskFinished("t1", None, None, {"ok": True, "value": 3.0})


def test_http_request_returns_a_response(roundtrip: bool) -> None:
    d = drive(
        """
        from flow.http import request
        def main(url):
            resp = request("post", url, json={"a": (1, 2)}, headers={"X": "y"}, timeout=5)
            return [resp.status, resp.headers, resp.text, resp.json(), resp.ok]
        """,
        args=["http://svc/x"],
        roundtrip=roundtrip,
    )
    r = d.start()
    (req,) = d.requests()
    assert r.waiting_for == f"http request {req.id}"
    assert (req.id, req.kind, req.timeout) == ("t1.1", "http", 5.0)
    assert req.payload["method"] == "POST"
    assert req.payload["json"] == {"a": [1, 2]}  # tuples cross the boundary as lists
    assert req.payload["headers"] == {"X": "y"}
    r = d.respond("t1.1", {"status": 200, "headers": {"ct": "json"}, "text": '{"k": [1]}'})
    assert r.result == [200, {"ct": "json"}, '{"k": [1]}', {"k": [1]}, True]


def test_raise_for_status_raises_http_error_like_requests() -> None:
    d = drive(
        """
        from flow.http import request, HTTPError
        def main():
            resp = request("GET", "http://svc/missing")
            try:
                resp.raise_for_status()
            except HTTPError as e:
                return str(e)
        """
    )
    d.start()
    r = d.respond("t1.1", {"status": 404, "headers": {}, "text": ""})
    assert r.result == "404 Client Error: Not Found for url: http://svc/missing"


def test_failed_response_raises_at_the_call_site(roundtrip: bool) -> None:
    d = drive(
        """
        from flow.connector import call
        def main():
            x = 1
            return call("echo", {"x": x})
        """,
        roundtrip=roundtrip,
    )
    d.start()
    r = d.fail("t1.1", "ValueError", "the connector said no")
    assert r.status == "failed"
    assert r.error is not None
    assert (r.error.type, r.error.message) == ("ValueError", "the connector said no")
    assert 'line 5, in main\n    return call("echo", {"x": x})' in r.error.traceback
    outcome = r.effects[-1].outcome  # type: ignore[union-attr]
    assert outcome["ok"] is False and outcome["error"]["type"] == "ValueError"


def test_connector_call_carries_its_timeout_and_retries(roundtrip: bool) -> None:
    d = drive(
        """
        from flow.connector import call
        def main():
            first = call("echo", {"n": 1}, timeout=2.5, retries=3)
            return [first, call("echo", "plain")]
        """,
        roundtrip=roundtrip,
    )
    r = d.start()
    assert r.effects == [protocol.Request("t1.1", "t1", "echo", {"n": 1}, 2.5, 3)]
    r = d.respond("t1.1", {"n": 1})
    assert r.effects == [protocol.Request("t1.2", "t1", "echo", "plain", None, 0)]
    assert d.respond("t1.2", "plain").result == [{"n": 1}, "plain"]
    for bad in ("-1", "1.5", "True", "101", "2**64"):
        failed = drive(
            f"from flow.connector import call\ndef main():\n    call('k', retries={bad})\n"
        )
        r = failed.start()
        assert r.status == "failed" and r.error is not None
        assert r.error.message == "call() retries must be a whole number from 0 to 100"


def test_waits_longer_than_the_wire_can_carry_are_refused() -> None:
    for call in ("sleep(float('inf'))", "sleep(float('nan'))", "sleep(10**30)"):
        d = drive(f"from flow.time import sleep\ndef main():\n    {call}\n")
        r = d.start()
        assert r.status == "failed" and r.error is not None
        assert r.error.message == "sleep() must be at most 3.1536e+09 seconds (100 years)"


def test_unknown_error_types_become_connector_error_or_http_error() -> None:
    d = drive(
        """
        from flow.connector import call, ConnectorError
        from flow.http import request, HTTPError
        def main():
            out = []
            try:
                call("k", None)
            except ConnectorError as e:
                out.append(str(e))
            try:
                request("GET", "http://x")
            except HTTPError as e:
                out.append(str(e))
            return out
        """
    )
    d.start()
    d.fail("t1.1", "SomethingOdd", "odd")
    r = d.fail("t1.2", "ConnectError", "refused")
    assert r.result == ["odd", "refused"]


def test_timeout_raises_inside_the_with_block_and_cancels_its_timer(roundtrip: bool) -> None:
    d = drive(
        """
        from flow.time import timeout, Timeout
        from flow.task import receive
        def main():
            try:
                with timeout(5):
                    receive()
                return "message"
            except Timeout as e:
                return "timed out: " + str(e)
        """,
        roundtrip=roundtrip,
    )
    r = d.start()
    assert r.effects == [protocol.StartTimer("t1.1", "t1", 5.0)]
    assert r.waiting_for == "message"
    r = d.fire("t1.1")
    assert r.result == "timed out: timed out after 5 seconds"


def test_leaving_a_timeout_block_cancels_the_timer_and_a_late_firing_is_ignored(
    roundtrip: bool,
) -> None:
    d = drive(
        """
        from flow.time import timeout, sleep
        from flow.task import receive
        def main():
            with timeout(5):
                got = receive()
            sleep(1)
            return got
        """,
        roundtrip=roundtrip,
    )
    d.start()
    r = d.message("hello")
    assert protocol.CancelTimer("t1.1", "t1") in r.effects
    assert r.waiting_for == "timer t1.2"
    r = d.fire("t1.1")  # stale: the block is gone
    assert r.status == "waiting" and r.effects == []
    r = d.fire("t1.2")
    assert r.result == "hello"


def test_nested_timeouts_the_inner_one_fires_first() -> None:
    d = drive(
        """
        from flow.time import timeout, Timeout, sleep
        def main():
            log = []
            with timeout(100):
                try:
                    with timeout(1):
                        sleep(50)
                except Timeout:
                    log.append("inner")
                sleep(2)
                log.append("slept")
            return log
        """
    )
    d.start()
    assert [t.id for t in d.timers()] == ["t1.1", "t1.2", "t1.3"]
    r = d.fire("t1.2")
    assert protocol.CancelTimer("t1.3", "t1") in r.effects  # the abandoned sleep
    assert r.waiting_for == "timer t1.4"
    r = d.fire("t1.4")
    assert r.result == ["inner", "slept"]
    assert protocol.CancelTimer("t1.1", "t1") in r.effects


def test_outer_timeout_interrupts_a_wait_in_a_called_function() -> None:
    d = drive(
        """
        from flow.time import timeout, Timeout
        from flow.connector import call
        def slow():
            return call("slow", {})
        def main():
            with timeout(3):
                try:
                    return slow()
                except Timeout:
                    return "gave up"
        """
    )
    d.start()
    r = d.fire("t1.1")
    assert r.result == "gave up"
    r2 = d.respond("t1.2", "too late")  # after the task ended: ignored
    assert r2.status == "done" and r2.effects == []


def test_callback_url_and_event(roundtrip: bool) -> None:
    d = drive(
        """
        from flow.http import callback
        def main():
            cb = callback.new()
            first = cb.url
            got = await cb.event
            return [first, got["body"], await cb.event]
        """,
        roundtrip=roundtrip,
    )
    r = d.start()
    assert r.effects == []  # a callback makes no request of its own
    assert r.waiting_for == "callback t1.1"
    r = d.respond("t1.1", {"body": {"done": True}, "headers": {}})
    assert r.result == [
        "https://hooks.example/t1/t1.1",
        {"done": True},
        {"body": {"done": True}, "headers": {}},
    ]


def test_spawn_and_wait_all_with_early_results(roundtrip: bool) -> None:
    d = drive(
        """
        from flow.task import spawn, wait_all
        def square(x):
            return x * x
        def main(n):
            children = [spawn(square, i) for i in range(n)]
            other = spawn("other-program", 1, k=2)
            return [sum(wait_all(children)), await other]
        """,
        args=[3],
        roundtrip=roundtrip,
    )
    r = d.start()
    spawns = d.of(protocol.SpawnTask)
    assert [(s.child_id, s.program, s.entry, s.args) for s in spawns] == [
        ("t1.1", None, "square", [0]),
        ("t1.2", None, "square", [1]),
        ("t1.3", None, "square", [2]),
        ("t1.4", "other-program", "main", [1]),
    ]
    assert spawns[3].kwargs == {"k": 2}
    d.respond("t1.4", "other")  # finishes before it is awaited: kept
    d.respond("t1.3", 4)
    d.respond("t1.1", 0)
    r = d.respond("t1.2", 1)
    assert r.result == [5, "other"]


def test_wait_all_raises_task_failed_and_await_reraises_the_child_error() -> None:
    d = drive(
        """
        from flow.task import spawn, wait_all, wait_any, TaskFailed
        def child():
            return 1
        def main():
            a, b = spawn(child), spawn(child)
            out = []
            try:
                wait_all([a, b])
            except TaskFailed as e:
                out.append(str(e))
            try:
                await b
            except KeyError as e:
                out.append(repr(e))
            out.append(wait_any([a]))
            return out
        """
    )
    d.start()
    d.fail("t1.2", "KeyError", "'k'")
    r = d.respond("t1.1", 7)
    assert r.result == ["task t1.2 failed: KeyError: 'k'", "KeyError(\"'k'\")", [0, 7]]


def test_send_receive_fifo_and_self_id(roundtrip: bool) -> None:
    d = drive(
        """
        from flow.task import send, receive, self_id
        def main():
            send("t9", {"from": self_id(), "n": (1, 2)})
            return [receive(), receive(), receive()]
        """,
        roundtrip=roundtrip,
    )
    r = d.start()
    assert r.effects[0] == protocol.SendMessage("t1.1", "t1", "t9", {"from": "t1", "n": [1, 2]})
    d.message("a", sender="t9")
    d.message("b")
    r = d.message("c")
    assert r.result == ["a", "b", "c"]


def test_messages_that_arrive_early_are_queued() -> None:
    d = drive(
        """
        from flow.time import sleep
        from flow.task import receive
        def main():
            sleep(1)
            return [receive(), receive()]
        """
    )
    d.start()
    d.message(1)
    d.message(2)
    r = d.fire("t1.1")
    assert r.result == [1, 2]


def test_cancel_runs_finally_and_ends_cancelled(roundtrip: bool) -> None:
    d = drive(
        """
        from flow.time import sleep
        from flow.connector import call
        def main():
            try:
                sleep(100)
            finally:
                call("cleanup", {})
        """,
        roundtrip=roundtrip,
    )
    d.start()
    r = d.cancel("operator said so")
    assert protocol.CancelTimer("t1.1", "t1") in r.effects
    assert r.status == "waiting"  # the finally block makes its own request
    r = d.respond("t1.2", None)
    assert r.status == "cancelled"
    assert r.error is not None and r.error.type == "Cancelled"
    assert r.error.message == "operator said so"
    assert r.effects[-1].outcome["error"]["type"] == "Cancelled"  # type: ignore[union-attr]


def test_except_exception_does_not_swallow_cancel() -> None:
    d = drive(
        """
        from flow.task import receive
        def main():
            try:
                receive()
            except Exception:
                return "swallowed"
        """
    )
    d.start()
    assert d.cancel().status == "cancelled"


def test_stale_and_unknown_messages_are_harmless() -> None:
    d = drive(
        """
        from flow.time import sleep
        def main():
            sleep(1)
            return "ok"
        """
    )
    d.start()
    assert d.fire("t1.99").status == "waiting"
    assert d.deliver("response", "nope", {"ok": True, "value": 1}).status == "waiting"
    assert d.start().status == "waiting"  # a duplicate start
    r = d.fire("t1.1")
    assert r.result == "ok"
    assert d.fire("t1.1").effects == []  # after the end


def test_task_finished_names_the_parent() -> None:
    d = drive("def main():\n    return 1\n")
    d.task.parent, d.task.parent_request = "p1", "p1.4"
    r = d.start()
    assert r.effects == [protocol.TaskFinished("t1", "p1", "p1.4", {"ok": True, "value": 1})]


@pytest.mark.parametrize(
    "body,message",
    [
        ("return {1: 2}", "keys of a task result must be str"),
        ("return lambda: 1", "not JSON serializable"),
        ("send('x', {1, 2})", "not JSON serializable"),
        ("await 5", "can't be used in 'await' expression"),
        (
            "sorted([1, 2], key=lambda x: receive())",
            "cannot wait inside a function called by a builtin",
        ),
        ("spawn(lambda: 1)", "top-level function"),
    ],
)
def test_boundary_errors(body: str, message: str) -> None:
    d = drive(f"from flow.task import send, receive, spawn\ndef main():\n    {body}\n")
    r = d.start()
    assert r.status == "failed"
    assert r.error is not None and message in r.error.message


def test_import_module_objects() -> None:
    d = drive(
        """
        import flow.time as t
        import flow.json as fj
        def main():
            t.sleep(1)
            return [str(t), fj.dumps([1])]
        """
    )
    d.start()
    assert d.fire("t1.1").result == ["<module 'flow.time'>", "[1]"]


def test_an_internal_error_fails_the_task_not_the_host(monkeypatch) -> None:
    from flowmetal.vm.vm import VM

    def broken(self, f, arg):  # type: ignore[no-untyped-def]
        raise KeyError("a bug in the VM")

    d = drive("def main():\n    return [1, 2]\n")
    table = list(VM.DISPATCH)
    from flowmetal.compile.opcodes import BUILD_LIST

    table[BUILD_LIST] = broken
    monkeypatch.setattr(VM, "DISPATCH", table)
    r = d.start()
    assert r.status == "failed"
    assert r.error is not None and r.error.type == "InternalError"
    assert "a bug in the VM" in r.error.message and "line 2" in r.error.message
    assert isinstance(r.effects[-1], protocol.TaskFinished)


def test_run_pure_refuses_effects() -> None:
    from flowmetal.vm import run_pure

    r = run_pure("from flow.time import sleep\ndef main():\n    sleep(1)\n")
    assert r.status == "failed"
    assert r.error is not None and "run_pure runs no effects" in r.error.message


SPIN_IN_TIMEOUT = """
from flow.time import timeout, Timeout
from flow.connector import call
def main():
    try:
        with timeout(1):
            n = 0
            for i in range(300):
                n += i
            return call("echo", n)
    except Timeout:
        return "timed out at the first wait"
"""


def test_a_timeout_that_fires_while_the_task_is_busy_raises_at_its_next_wait(
    roundtrip: bool,
) -> None:
    from flowmetal.vm import Limits

    d = drive(SPIN_IN_TIMEOUT, limits=Limits(fuel=100), auto_continue=False, roundtrip=roundtrip)
    r = d.start()
    assert r.status == "yielded"
    r = d.fire("t1.1")  # the deadline passes while the task is between steps
    while r.status == "yielded":
        r = d.deliver("continue")
    assert r.result == "timed out at the first wait"
    assert [type(e).__name__ for e in d.effects] == ["StartTimer", "Request", "TaskFinished"]


def test_cancel_while_yielded_raises_where_the_task_stands(roundtrip: bool) -> None:
    from flowmetal.vm import Limits

    source = """
    def main():
        log = []
        try:
            while True:
                log.append(1)
                log.pop()
        finally:
            print("cleaned up")
    """
    d = drive(source, limits=Limits(fuel=50), auto_continue=False, roundtrip=roundtrip)
    assert d.start().status == "yielded"
    r = d.cancel("enough")
    assert r.status == "cancelled"
    assert d.output == ["cleaned up"]
    assert r.error is not None
    assert any(f"line {n}, in main" in r.error.traceback for n in (5, 6, 7))


def test_cancel_before_start_ends_the_task() -> None:
    d = drive("def main():\n    return 1\n")
    r = d.cancel("never mind")
    assert r.status == "cancelled"
    assert d.start().status == "cancelled"


def test_wait_any_picks_the_child_that_finished_first(roundtrip: bool) -> None:
    d = drive(
        """
        from flow.task import spawn, wait_any
        from flow.time import sleep
        def child(x):
            return x
        def main():
            hs = [spawn(child, i) for i in range(3)]
            sleep(1)
            return wait_any(hs)
        """,
        roundtrip=roundtrip,
    )
    d.start()
    d.respond("t1.3", "third")
    d.respond("t1.2", "second")
    assert d.fire("t1.4").result == [2, "third"]


def test_timeout_none_means_no_deadline_and_bad_seconds_are_errors() -> None:
    d = drive(
        """
        from flow.time import timeout, sleep
        def main():
            with timeout(None):
                sleep(1)
            try:
                timeout("soon")
            except TypeError as e:
                return str(e)
        """
    )
    r = d.start()
    assert r.effects == [protocol.StartTimer("t1.1", "t1", 1.0)]
    assert d.fire("t1.1").result == "timeout() must be a number of seconds, not str"


def test_the_compiler_and_the_vm_agree_on_the_standard_modules() -> None:
    from flowmetal.compile.opcodes import STANDARD_MODULES
    from flowmetal.vm.builtins import BUILTIN_REGISTRY
    from flowmetal.vm.modules import MODULES
    from flowmetal.vm.values import Builtin

    for name, exports in STANDARD_MODULES.items():
        assert sorted(MODULES[name]) == sorted(exports), name
        for value in MODULES[name].values():
            if isinstance(value, Builtin):
                assert BUILTIN_REGISTRY[value.name] is value  # a snapshot can find it again
