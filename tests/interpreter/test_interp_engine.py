"""The engine and the effects router without Kafka: records out of records in."""

from __future__ import annotations

from typing import Any

from interp_fakes import FakeTable, FakeTask, program

from flowmetal import protocol as p
from flowmetal import wire
from flowmetal.config import DLQ, HISTORY, INBOX, OUTBOX, STATE, Settings
from flowmetal.interpreter.effects import route, start_payload
from flowmetal.interpreter.engine import Engine
from flowmetal.interpreter.hosting import Programs
from flowmetal.interpreter.store import MemoryStore, StoredTask
from flowmetal.interpreter.timers import TimerIndex
from flowmetal.kafka import partition_for

SETTINGS = Settings(partitions=4)


def _engine(store: MemoryStore | None = None) -> Engine:
    return Engine(
        SETTINGS,
        store or MemoryStore(),
        Programs(FakeTable({"fake": program()})),
        TimerIndex(),
        None,
        clock_ms=lambda: 1_000_000,
        task_class=FakeTask,
    )


def _inbox(message: p.Message) -> tuple[int, bytes, bytes]:
    return (
        partition_for(message.task_id, SETTINGS.partitions),
        message.task_id.encode(),
        wire.encode_message(message),
    )


def _start(task_id: str, entry: str, args: list[Any]) -> p.Message:
    payload = start_payload("fake", "f" * 64, entry, args, {})
    return p.Message(task_id, "start", f"{task_id}:s", None, payload)


def test_router_turns_each_effect_into_its_record() -> None:
    result = p.StepResult(
        "yielded",
        [
            p.Request("t.1", "t", "http", {"url": "x"}),
            p.StartTimer("t.2", "t", 1.5),
            p.CancelTimer("t.0", "t"),
            p.SpawnTask("t.3", "t", "t.3", None, None, "child", [1], {}),
            p.SpawnTask("t.4", "t", "t.4", "other", None, "main", [], {}),
            p.SendMessage("t.5", "t", "u", {"v": 1}),
            p.TaskFinished("t", "parent", "parent.7", {"ok": True, "value": 3}),
        ],
    )
    routed = route(
        "t",
        result,
        program="prog",
        version="v1",
        timers={"t.0": 5},
        now_ms=1000,
        step_seq=9,
        latest_version=lambda name: f"{name}-latest",
    )
    topics = [r.topic for r in routed.records]
    assert topics == [OUTBOX, INBOX, INBOX, INBOX, INBOX, INBOX]
    assert wire.decode_request(routed.records[0].value or b"").kind == "http"
    messages = [wire.decode_message(r.value or b"") for r in routed.records[1:]]
    assert [(m.task_id, m.kind) for m in messages] == [
        ("t.3", "start"),
        ("t.4", "start"),
        ("u", "message"),
        ("parent", "response"),
        ("t", "continue"),
    ]
    assert messages[0].payload["version"] == "v1" and messages[0].payload["parent"] == "t"
    assert messages[1].payload["version"] == "other-latest"  # another program: pinned now
    assert messages[2].payload == {"from": "t", "value": {"v": 1}}
    assert messages[3].request_id == "parent.7"
    assert routed.timers == {}  # the finished task waits for nothing


def test_engine_steps_dead_letters_and_ignores_duplicates() -> None:
    engine = _engine()
    part, key, value = _inbox(_start("a", "counter", [2]))
    first = engine.handle(part, 10, key, value)
    state = next(r for r in first.records if r.topic == STATE)
    assert state.partition == part  # the state goes where the inbox record was
    assert wire.decode_state(state.value or b"").status == "waiting"
    history = wire.decode_history(next(r for r in first.records if r.topic == HISTORY).value or b"")
    assert (history["seq"], history["kind"]) == (1, "started")  # the task's first step
    assert history["detail"]["inbox"] == {"partition": part, "offset": 10}
    assert wire.decode_state(state.value or b"").steps == 1
    assert engine.handle(part, 11, key, value).records == []  # the same start again
    junk = engine.handle(part, 12, key, b"junk")
    letter = wire.decode_dead_letter(junk.records[0].value or b"")
    assert junk.records[0].topic == DLQ and "undecodable" in letter.error
    assert (letter.partition, letter.offset) == (part, 12)
    wrong = (part + 1) % SETTINGS.partitions
    moved = engine.handle(
        wrong, 3, key, wire.encode_message(p.Message("a", "message", "m", None, {}))
    )
    assert "wrong partition" in wire.decode_dead_letter(moved.records[0].value or b"").error


def test_engine_loads_from_the_store_and_fails_a_crashing_step() -> None:
    store = MemoryStore()
    engine = _engine(store)
    part, key, value = _inbox(_start("b", "sleeper", [5]))
    out = engine.handle(part, 0, key, value)
    assert out.task is not None and out.task.timers == {"b.1": 1_005_000}
    store.apply(part, {"b": StoredTask(out.task.state_value, (("b.1", 1_005_000),))}, 1)
    fresh = _engine(store)  # a new process: memory empty, the store has the task
    fired = fresh.fire(part, next(iter(store.deadlines(part))))
    timer = wire.decode_message(fired.value or b"")
    done = fresh.handle(part, 5, key, fired.value)
    assert (timer.kind, timer.request_id) == ("timer", "b.1")
    assert wire.decode_state(done.records[0].value or b"").result_value == "slept"
    # The step counter came back from the store: the history goes on at 2.
    events = [wire.decode_history(r.value or b"") for r in done.records if r.topic == HISTORY]
    assert [(e["seq"], e["kind"]) for e in events] == [(2, "done")]
    assert wire.decode_state(done.records[0].value or b"").steps == 2
    part, key, value = _inbox(_start("c", "crasher", []))
    crashed = wire.decode_state(engine.handle(part, 0, key, value).records[0].value or b"")
    assert crashed.status == "failed" and "boom" in crashed.error_value["message"]
    # Effects the wire refuses fail the task too, instead of the interpreter (which would
    # read the same record after its restart, and fail again, for ever).
    part, key, value = _inbox(_start("u", "unsendable", []))
    out = engine.handle(part, 0, key, value)
    assert [r.topic for r in out.records] == [STATE, HISTORY]  # no request went out
    refused = wire.decode_state(out.records[0].value or b"")
    assert refused.status == "failed"
    assert "could not store this step" in refused.error_value["message"]


def _child_start(task_id: str, entry: str, parent: object) -> p.Message:
    payload = start_payload("fake", "f" * 64, entry, [], {}, "par", "par.1")
    payload["parent"] = parent  # type: ignore[assignment]
    return p.Message(task_id, "start", f"{task_id}:s", None, payload)


def test_a_step_that_cannot_be_stored_fails_and_still_answers_the_parent() -> None:
    engine = _engine()
    for entry, why in (("unprintable", "surrogates not allowed"), ("huge", "StepTooLarge")):
        part, key, value = _inbox(_child_start(f"kid-{entry}", entry, "par"))
        out = engine.handle(part, 0, key, value)
        state = wire.decode_state(out.records[0].value or b"")
        assert state.status == "failed" and why in state.error_value["message"]
        assert state.steps == 1  # the failed attempt did not take a step number
        [answer] = [r for r in out.records if r.topic == INBOX]
        told = wire.decode_message(answer.value or b"")
        assert (told.task_id, told.kind, told.request_id) == ("par", "response", "par.1")
        assert told.payload["ok"] is False


def test_a_malformed_parent_in_a_start_record_does_not_stop_the_engine() -> None:
    engine = _engine()
    part, key, value = _inbox(_child_start("kid-odd", "huge", 123))
    out = engine.handle(part, 0, key, value)
    state = wire.decode_state(out.records[0].value or b"")
    assert state.status == "failed"
    assert [r.topic for r in out.records] == [STATE, HISTORY]  # nobody to tell
