"""The snapshot encoder: exception chains, old-layout compatibility, speed-related behaviour."""

from __future__ import annotations

import gc
import json
import sys
import textwrap
import types
from typing import Any

from flowmetal import protocol, serial
from flowmetal.compile import compile_program
from flowmetal.serial import read_record
from flowmetal.vm import Limits, Task
from flowmetal.vm.testing import Driver

HELD_EXCEPTIONS = textwrap.dedent(
    """
    from flow.time import sleep

    def catch(how):
        try:
            try:
                [][1]
            except IndexError as e:
                if how == "from None":
                    raise ValueError("v") from None
                if how == "from":
                    raise ValueError("v") from KeyError("k")
                raise ValueError("v")
        except ValueError as v:
            return v

    def name(e):
        return None if e is None else type(e).__name__

    def main():
        held = [catch(how) for how in ["from None", "from", "plain"]]
        sleep(1)
        out = [[name(e.__cause__), name(e.__context__), e.__suppress_context__] for e in held]
        raise held[0]
    """
)


def heap_of(data: bytes) -> list[Any]:
    return json.loads(read_record(data)["heap"])  # type: ignore[no-any-return]


def test_exception_chains_survive_a_snapshot() -> None:
    d = Driver(HELD_EXCEPTIONS, roundtrip=True)
    assert d.start().status == "waiting"
    r = d.fire("t1.1")
    assert r.status == "failed"
    assert r.error is not None
    # `from None` survived: the IndexError it was raised over is not shown.
    assert "IndexError" not in r.error.traceback
    live = Driver(HELD_EXCEPTIONS.replace("raise held[0]", "return out"))
    live.start()
    restored = Driver(HELD_EXCEPTIONS.replace("raise held[0]", "return out"), roundtrip=True)
    restored.start()
    expected = [
        [None, "IndexError", True],
        ["KeyError", "IndexError", True],
        [None, "IndexError", False],
    ]
    assert live.fire("t1.1").result == expected
    assert restored.fire("t1.1").result == expected


def test_an_unchained_exception_keeps_the_old_five_field_entry() -> None:
    """Snapshots of tasks that never use `raise ... from` are the bytes format 1 always wrote,
    and a five-field entry (an older snapshot) reads as "no cause, context shown"."""
    source = (
        "from flow.time import sleep\n"
        "def main():\n"
        "    try:\n"
        "        [][1]\n"
        "    except IndexError as e:\n"
        "        held = e\n"
        "    sleep(1)\n"
        "    return [held.__cause__ is None, held.__suppress_context__]\n"
    )
    program = compile_program(source, "p.flow")
    task = Task.new(program, "t1")
    task.step(protocol.Message("t1", "start", "m1"))
    data = task.snapshot()
    entries = [e for e in heap_of(data) if e[0] == "x"]
    assert [len(e) for e in entries] == [5]
    again = Task.restore(data, program)
    r = again.step(protocol.Message("t1", "timer", "m2", request_id="t1.1"))
    assert r.result == [True, False]


def test_a_restored_task_snapshots_to_the_same_bytes() -> None:
    program = compile_program(HELD_EXCEPTIONS, "p.flow")
    task = Task.new(program, "t1")
    task.step(protocol.Message("t1", "start", "m1"))
    data = task.snapshot()
    assert Task.restore(data, program).snapshot() == data


def _inside(code: types.CodeType) -> bool:
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def test_encoding_does_not_run_the_cyclic_collector() -> None:
    """Encoding allocates lists per heap entry; a gen-0 collection every 700 of them (and now
    and then a full one over every host object) used to be a good part of a snapshot's cost."""
    source = (
        "from flow.time import sleep\n"
        "def main():\n"
        "    rows = [{'id': i, 'tags': ['a', i]} for i in range(20000)]\n"
        "    sleep(1)\n"
        "    return len(rows)\n"
    )
    program = compile_program(source, "p.flow")
    task = Task.new(program, "t1", limits=Limits(fuel=10**7))
    task.check_snapshot = False
    task.step(protocol.Message("t1", "start", "m1"))
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        # Count only collections started from inside the encoder. Daemon threads left by
        # other tests, and this test's own calls around the encoder, allocate too and may
        # set off a collection there; those are not the encoder's.
        if phase == "start" and _inside(serial._encode_task.__code__):
            collections.append(info["generation"])

    gc.callbacks.append(count)
    try:
        assert gc.isenabled()
        data = serial.encode_task(task)
        assert gc.isenabled()  # switched back on
        gc.disable()
        try:
            serial.encode_task(task)
            assert not gc.isenabled()  # and left off if the host had it off
        finally:
            gc.enable()
    finally:
        gc.callbacks.remove(count)
    assert collections == []
    assert task.status == "waiting"
    assert len(heap_of(data)) > 40000
