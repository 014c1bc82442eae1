"""Property: snapshot/restore at every step, with tiny fuel, changes nothing.

A task run uninterrupted and the same task snapshotted and restored into a
fresh Task (through bytes) after every step — where steps end at every
suspension point and, with a small fuel, at arbitrary instruction
boundaries — give the same result, the same error, the same output and the
same sequence of effects. The outside world is played by a deterministic
responder that answers the oldest outstanding effect first.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowmetal import protocol
from flowmetal.vm import Limits
from flowmetal.vm.testing import Driver

HAND_WRITTEN = {
    "requests_in_a_loop": """
        from flow.connector import call
        from flow.http import request
        def main(n):
            total = 0
            seen = {}
            for i in range(n):
                r = call("echo", {"n": i, "tag": (i, "t")})
                total += r["n"]
                seen[str(i)] = r["tag"]
            resp = request("POST", "http://svc/x", json={"total": total})
            return [total, seen, resp.status, resp.json()]
    """,
    "children_timers_messages": """
        from flow.task import spawn, wait_all, wait_any, send, receive, self_id
        from flow.time import sleep, timeout, Timeout
        def child(x, y=1):
            return x * y
        def main(n):
            hs = [spawn(child, i, y=2) for i in range(n)]
            sleep(0.5)
            send(self_id(), {"hello": n})
            got = receive()
            first = wait_any(hs)
            try:
                with timeout(1):
                    sleep(10)
            except Timeout as e:
                got["timeout"] = str(e)
            return [sum(wait_all(hs)), got, first]
    """,
    "errors_and_finally": """
        from flow.connector import call
        def risky(i):
            if i % 3 == 2:
                return call("fail", {"i": i})
            return call("echo", i)
        def main(n):
            log = []
            for i in range(n):
                try:
                    log.append(risky(i))
                except ValueError as e:
                    log.append("error " + str(e))
                finally:
                    log.append(call("echo", "cleanup"))
            return log
    """,
    "closures_iterators_and_state": """
        from flow.connector import call
        def make_counter():
            n = 0
            def inc(step):
                nonlocal n
                n += call("echo", step)
                return n
            return inc
        def main(n):
            inc = make_counter()
            d = {"a": 1, "b": 2, "c": 3}
            shared = []
            alias = shared
            out = [inc(v) for k, v in d.items() if k != "b"]
            for x in sorted({3, 1, 2}):
                alias.append(inc(x))
            text = "".join(f"{k}={v};" for k, v in d.items())
            return [out, shared, text, [c for c in "abc"], list(zip(range(n), "xyz"))]
    """,
    "dict_views_held_across_effects": """
        from flow.connector import call
        def main(n):
            d = {"a": 1}
            keys, items = d.keys(), d.items()
            for i in range(n):
                d[call("echo", "k" + str(i))] = i
            same = d
            same["last"] = len(keys)
            return [sorted(keys), sorted(items), sorted(keys & {"a", "k0", "z"}), repr(d.values())]
    """,
    "iterators_held_across_effects": """
        from flow.connector import call
        def main(n):
            it = iter(range(n + 3))
            same = it
            got = [next(it)]
            for x in it:
                got.append(call("echo", x))
                if x == 1:
                    break
            pairs = zip("abcdef", map(lambda v: v * 10, range(n + 3)))
            got.append(next(pairs))
            got.append(call("echo", next(same, "end")))
            got.append([list(pairs), list(pairs), list(same), next(same, "end")])
            return got
    """,
    "callback_and_timeout": """
        from flow.http import callback, request
        from flow.time import timeout, forever, Timeout
        def main(n):
            cb = callback.new()
            resp = request("POST", "http://svc/job", json={"cb": cb.url})
            with timeout(n) if n > 2 else forever():
                try:
                    got = await cb.event
                except Timeout:
                    got = "no callback"
            return [resp.status, got]
    """,
}


def responder_value(effect: Any) -> tuple[str, Any]:
    """What the world answers to an effect: ("respond"|"fail"|"fire"|"message"|"skip", data)."""
    if isinstance(effect, protocol.Request):
        if effect.kind == "fail":
            return ("fail", f"refused {effect.payload}")
        if effect.kind == "http":
            body = json.dumps(effect.payload["json"])
            return ("respond", {"status": 201, "headers": {"n": "1"}, "text": body})
        return ("respond", effect.payload)
    if isinstance(effect, protocol.StartTimer):
        return ("fire", None)
    if isinstance(effect, protocol.SpawnTask):
        return ("respond", sum(a for a in effect.args if isinstance(a, int)) + len(effect.kwargs))
    if isinstance(effect, protocol.SendMessage):
        return ("message", effect.value)
    return ("skip", None)


def run(source: str, args: list[Any], fuel: int, roundtrip: bool) -> dict[str, Any]:
    d = Driver(textwrap.dedent(source), args=args, limits=Limits(fuel=fuel), roundtrip=roundtrip)
    outstanding: list[Any] = []
    r = d.start()
    seen = 0
    for _ in range(500):
        # every effect of every step (a step may have been continued after yielding)
        outstanding.extend(d.effects[seen:])
        seen = len(d.effects)
        if r.status in protocol.FINAL_STATUSES:
            break
        if not outstanding:
            if r.waiting_for.startswith("callback "):
                r = d.respond(r.waiting_for.split()[1], {"body": "called", "headers": {}})
            else:
                r = d.message("poke")
            continue
        effect = outstanding.pop(0)
        if isinstance(effect, protocol.CancelTimer):
            outstanding = [e for e in outstanding if getattr(e, "id", None) != effect.id]
            continue
        action, data = responder_value(effect)
        if action == "respond":
            r = d.respond(effect.id, data)
        elif action == "fail":
            r = d.fail(effect.id, "ValueError", data)
        elif action == "fire":
            r = d.fire(effect.id)
        elif action == "message":
            r = d.message(data, sender=effect.task_id)
        else:
            continue
    assert r.status in protocol.FINAL_STATUSES, r
    return {
        "status": r.status,
        "result": r.result,
        "error": r.error,
        "effects": d.effects,
        "output": d.output,
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(HAND_WRITTEN)), n=st.integers(1, 5), fuel=st.integers(2, 40))
def test_hand_written_programs_survive_snapshots_anywhere(name: str, n: int, fuel: int) -> None:
    source = HAND_WRITTEN[name]
    expected = run(source, [n], 100_000, roundtrip=False)
    assert expected["status"] == "done", expected["error"]
    assert run(source, [n], fuel, roundtrip=True) == expected


# -- generated programs --------------------------------------------------------------------

_STATEMENTS = [
    "xs.append({a} * {b} - len(xs))",
    "total += {a} if total % 2 else -{b}",
    "for i in range({c}):\n        xs.append(i + {a})",
    "d[str({a})] = [total, {b}]",
    "total += call('echo', {a} + total)",
    "try:\n        total += {a} // ({b} - 3)\n    except ZeroDivisionError:\n        xs.append('div')",
    "total = helper(total, {a})",
    "if {a} > {b}:\n        xs.append(sorted(d))\n    else:\n        xs.append(tuple(xs[-2:]))",
    "while total > 1000:\n        total //= {c} + 2",
    "xs.append(f'{{total:>{c}}}|{{len(d)}}')",
]


@st.composite
def programs(draw: Any) -> str:
    picks = draw(
        st.lists(
            st.tuples(
                st.integers(0, len(_STATEMENTS) - 1),
                st.integers(-5, 20),
                st.integers(0, 9),
                st.integers(0, 5),
            ),
            min_size=1,
            max_size=12,
        )
    )
    body = "\n    ".join(_STATEMENTS[k].format(a=a, b=b, c=c) for k, a, b, c in picks)
    return (
        "from flow.connector import call\n"
        "def helper(t, k):\n"
        "    return t + call('echo', k) * 2\n"
        "def main():\n"
        "    xs = []\n"
        "    d = {}\n"
        "    total = 0\n"
        f"    {body}\n"
        "    return [total, xs, d]\n"
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=programs(), fuel=st.integers(2, 25))
def test_generated_programs_survive_snapshots_anywhere(source: str, fuel: int) -> None:
    expected = run(source, [], 100_000, roundtrip=False)
    assert run(source, [], fuel, roundtrip=True) == expected
