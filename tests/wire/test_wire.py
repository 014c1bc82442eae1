"""The wire format: round trips, schema evolution, and clear errors on bad bytes."""

from __future__ import annotations

import json
import struct

import pytest
from fastavro.schema import fingerprint, to_parsing_canonical_form
from hypothesis import given
from hypothesis import strategies as st

from flowmetal import wire
from flowmetal.errors import ServiceError
from flowmetal.protocol import Message, Request
from flowmetal.wire import StateRecord, WireError

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


# -- round trips -------------------------------------------------------------------------


@given(
    payload=json_values,
    request_id=st.none() | st.text(),
    kind=st.sampled_from(["start", "response", "timer", "message", "cancel", "continue"]),
)
def test_message_round_trip(payload, request_id, kind):
    m = Message(task_id="task-1", kind=kind, id="m-1", request_id=request_id, payload=payload)
    data = wire.encode_message(m)
    assert data[:2] == b"\xc3\x01"
    assert wire.decode_message(data) == m


def test_message_carries_send_time():
    m = Message("t", "continue", "m")
    message, sent = wire.decode_message_with_time(wire.encode_message(m, sent_at_ms=1234))
    assert (message, sent) == (m, 1234)


@given(payload=json_values, timeout=st.none() | st.floats(0, 1e6), retries=st.integers(0, 100))
def test_request_round_trip(payload, timeout, retries):
    r = Request(
        id="t.1", task_id="t", kind="http", payload=payload, timeout=timeout, retries=retries
    )
    assert wire.decode_request(wire.encode_request(r)) == r


def test_history_round_trip_keeps_detail_as_a_value():
    event = {
        "task_id": "t",
        "seq": 7,
        "kind": "request",
        "time": 1_700_000_000_000,
        "detail": {"request": "t.3", "kind": "http", "args": [1, "x", None]},
    }
    assert wire.decode_history(wire.encode_history(event)) == event


def test_history_without_a_required_field_is_refused():
    with pytest.raises(WireError, match="lacks 'seq'"):
        wire.encode_history({"task_id": "t", "kind": "x", "time": 1})


def test_state_round_trip():
    record = StateRecord(
        task_id="t",
        status="done",
        program="jobs",
        version="ab" * 32,
        snapshot=bytes(range(256)),
        waiting_for="",
        result=json.dumps(None),
        error=None,
        updated_ms=42,
    )
    back = wire.decode_state(wire.encode_state(record))
    assert back == record
    # "null" (the task returned None) is not the same as no result at all
    assert back.result == "null" and back.result_value is None
    assert (
        wire.decode_state(wire.encode_state(StateRecord("t", "waiting", "p", "v", b""))).result
        is None
    )


def test_state_error_value():
    err = {"type": "ValueError", "message": "bad", "traceback": "  line 3"}
    record = StateRecord("t", "failed", "p", "v", b"", error=json.dumps(err), updated_ms=1)
    assert wire.decode_state(wire.encode_state(record)).error_value == err


def test_program_round_trip():
    data = wire.encode_program(
        "hello", "0" * 64, "def main():\n    return 1\n", "hello.flow", pushed_ms=5
    )
    assert wire.decode_program(data) == wire.ProgramRecord(
        "hello", "0" * 64, "def main():\n    return 1\n", "hello.flow", 5
    )


@pytest.mark.parametrize("key", [b"\xff\x00raw", "task-9", None])
def test_dead_letter_round_trip(key):
    data = wire.encode_dead_letter(key, b"\x00garbage", "bad magic", "flowmetal.inbox", 3, 1234)
    dead = wire.decode_dead_letter(data)
    expected_key = key.encode() if isinstance(key, str) else key
    assert (dead.original_key, dead.original_value, dead.error) == (
        expected_key,
        b"\x00garbage",
        "bad magic",
    )
    assert (dead.topic, dead.partition, dead.offset) == ("flowmetal.inbox", 3, 1234)
    assert dead.time > 0


# -- the encoding itself -----------------------------------------------------------------


def test_header_is_magic_and_little_endian_crc64_of_canonical_form():
    data = wire.encode_request(Request("t.1", "t", "echo", None))
    raw = json.loads((wire.schema_dir() / "request.v1.avsc").read_text())
    canonical = to_parsing_canonical_form(raw)
    # fastavro's hex is the wire byte order; check it against the spec's number too
    assert data[2:10] == bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))
    assert struct.unpack("<Q", data[2:10])[0] == _crc64_avro(canonical.encode())


def _crc64_avro(data: bytes) -> int:
    """The Avro specification's reference CRC-64-AVRO, written out independently."""
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp)
    fp = empty
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


def test_crc64_reference_matches_the_spec_vector():
    # Avro's schema-tests: the canonical form "int" has fingerprint 8247732601305521295.
    assert _crc64_avro(b'"int"') == 8247732601305521295


def test_kind_header_helpers():
    m = Message("t", "response", "m", "t.1", {"ok": True, "value": 1})
    r = Request("t.1", "t", "http", {})
    assert wire.headers_for_message(m) == [("flowmetal-kind", b"response")]
    assert wire.kind_of(wire.headers_for_request(r)) == "http"
    assert wire.kind_of([("other", b"x"), (wire.KIND_HEADER, b"echo")]) == "echo"
    assert wire.kind_of({wire.KIND_HEADER: "start"}) == "start"
    assert wire.kind_of(None) is None
    assert wire.kind_of([("other", b"x")]) is None


def test_identify_names_family_and_version():
    assert wire.identify(wire.encode_message(Message("t", "continue", "m"))) == ("message", 2)
    assert wire.identify(b"not avro at all") is None


# -- evolution ---------------------------------------------------------------------------


def test_old_writer_new_reader_message_v1():
    v1 = wire.encode_with_version(
        "message",
        1,
        {"task_id": "t", "kind": "timer", "id": "m-1", "request_id": "t.4", "payload": "null"},
    )
    assert wire.identify(v1) == ("message", 1)
    message, sent = wire.decode_message_with_time(v1)
    assert message == Message("t", "timer", "m-1", "t.4", None)
    assert sent is None  # v2's new field takes its default


def test_old_writer_new_reader_state_v1():
    v1 = wire.encode_with_version(
        "state",
        1,
        {
            "task_id": "t",
            "status": "waiting",
            "program": "p",
            "version": "v",
            "snapshot": b"\x01",
            "waiting_for": "t.1",
            "result": None,
            "error": None,
            "updated_ms": 9,
        },
    )
    back = wire.decode_state(v1)
    assert (back.task_id, back.status, back.snapshot, back.updated_ms) == (
        "t",
        "waiting",
        b"\x01",
        9,
    )
    assert back.timers == ()  # state.v2's timers take their default
    assert back.steps == 0  # and state.v3's step counter


def test_old_writer_new_reader_state_v2():
    v2 = wire.encode_with_version(
        "state",
        2,
        {
            "task_id": "t",
            "status": "waiting",
            "program": "p",
            "version": "v",
            "snapshot": b"\x02",
            "waiting_for": "t.3",
            "result": None,
            "error": None,
            "updated_ms": 9,
            "timers": [{"id": "t.3", "deadline_ms": 1234}],
        },
    )
    assert wire.identify(v2) == ("state", 2)
    back = wire.decode_state(v2)
    assert (back.snapshot, back.waiting_for, back.timers) == (b"\x02", "t.3", (("t.3", 1234),))
    assert back.steps == 0  # a v2 writer kept no step counter


def test_state_steps_round_trip():
    record = StateRecord("t", "waiting", "p", "v", b"", steps=41, updated_ms=3)
    data = wire.encode_state(record)
    assert wire.identify(data) == ("state", 3)
    assert wire.decode_state(data).steps == 41


def test_state_timers_round_trip():
    deadline = 1_700_000_000_000
    record = StateRecord("t", "waiting", "p", "v", b"", timers=(("t.2", deadline),), updated_ms=3)
    assert wire.decode_state(wire.encode_state(record)).timers == (("t.2", deadline),)


def test_schema_versions_have_distinct_fingerprints():
    # Two versions with one canonical form would make the fingerprint lookup ambiguous.
    for path in sorted(wire.schema_dir().glob("*.v*.avsc")):
        family = path.name.split(".")[0]
        if family.startswith("snapshot"):
            continue  # the VM's own format, versioned by flowmetal.serial
        fam = wire._family(family)
        assert len(fam.by_fingerprint) == len(fam.versions), f"{family}: two versions share a form"


# -- errors ------------------------------------------------------------------------------


GOOD = wire.encode_message(Message("t", "start", "m-1", None, {"program": "p"}))


def test_bad_magic():
    with pytest.raises(WireError, match="bad magic"):
        wire.decode_message(b"\x00\x01" + GOOD[2:])


def test_plain_json_is_not_a_record():
    with pytest.raises(WireError, match="bad magic 7b22"):
        wire.decode_message(b'{"task_id": "t", "kind": "start"}')


def test_unknown_fingerprint():
    with pytest.raises(WireError, match="unknown schema fingerprint 0102030405060708"):
        wire.decode_message(GOOD[:2] + bytes(range(1, 9)) + GOOD[10:])


def test_a_request_is_not_a_message():
    data = wire.encode_request(Request("t.1", "t", "echo", None))
    with pytest.raises(WireError, match="unknown schema fingerprint"):
        wire.decode_message(data)


@pytest.mark.parametrize("cut", [0, 1, 9, 10, 12, len(GOOD) - 1])
def test_truncated(cut):
    with pytest.raises(WireError) as info:
        wire.decode_message(GOOD[:cut])
    assert isinstance(info.value, ServiceError)
    assert "message record" in str(info.value)


def test_trailing_bytes_are_corruption():
    with pytest.raises(WireError, match="left after the body"):
        wire.decode_message(GOOD + b"\x00")


def test_tombstone():
    with pytest.raises(WireError, match="tombstone"):
        wire.decode_state(None)  # type: ignore[arg-type]


def test_payload_that_is_not_json():
    with pytest.raises(WireError, match="not a JSON value"):
        wire.encode_message(Message("t", "message", "m", None, {"x": object()}))
    corrupt = wire.encode_with_version(
        "message",
        2,
        {
            "task_id": "t",
            "kind": "x",
            "id": "m",
            "request_id": None,
            "payload": "{nope",
            "sent_at_ms": None,
        },
    )
    with pytest.raises(WireError, match="not valid JSON"):
        wire.decode_message(corrupt)
