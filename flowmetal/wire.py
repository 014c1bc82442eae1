"""The wire format: how Flowmetal records look in Kafka.

Every record value is Avro in *single-object encoding*, so any language can
decode it with nothing but the `.avsc` files in `schemas/` (no registry):

    +------+------+----------------------------------+---------------------+
    | 0xC3 | 0x01 | CRC-64-AVRO fingerprint (8 bytes, | Avro binary body    |
    |      |      | little-endian) of the writer      | (writer schema)     |
    |      |      | schema's Parsing Canonical Form   |                     |
    +------+------+----------------------------------+---------------------+

Schemas are versioned files, `schemas/<family>.v<N>.avsc`; every version is
kept. A writer always uses the newest version; a reader looks the fingerprint
up among all versions of the family and resolves the old writer schema to the
newest reader schema (Avro schema resolution: new fields need defaults).

User payloads (message and request payloads, results, history details) are
JSON text inside the envelope, so a connector in any language can read them.

Record keys are the task id (UTF-8) for inbox, outbox, state and history.
Inbox and outbox records carry a header `flowmetal-kind` (the message kind
for inbox records, the connector kind for outbox records) so a consumer can
skip records that are not for it without decoding them.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import fastavro
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

from flowmetal.errors import ServiceError
from flowmetal.protocol import JSON, Message, Request

MAGIC = b"\xc3\x01"
HEADER_LEN = len(MAGIC) + 8
KIND_HEADER = "flowmetal-kind"

Headers = list[tuple[str, bytes]]


class WireError(ServiceError):
    """A record that cannot be encoded or decoded; the message says why."""


# -- records that are not protocol types -------------------------------------------------


@dataclass(frozen=True)
class StateRecord:
    """A task's latest state, as the `state` topic holds it (keyed by task id).

    `result` and `error` are JSON *text* (or None when absent), so that a task
    whose result is `None` ("null") differs from a task with no result yet."""

    task_id: str
    status: str
    program: str
    version: str
    snapshot: bytes
    waiting_for: str = ""
    result: str | None = None
    error: str | None = None
    updated_ms: int = 0
    # Pending timers as (timer id, absolute deadline ms): the interpreter's deadline
    # index is rebuilt from them on restore (state.v2).
    timers: tuple[tuple[str, int], ...] = ()
    # How many steps the task has taken; its history events are numbered 1..steps
    # (state.v3; records of older writers read as 0).
    steps: int = 0

    @property
    def result_value(self) -> JSON:
        return None if self.result is None else from_json_text(self.result)

    @property
    def error_value(self) -> JSON:
        return None if self.error is None else from_json_text(self.error)


@dataclass(frozen=True)
class ProgramRecord:
    """One immutable program version from the `programs` topic."""

    name: str
    version: str
    source: str
    filename: str
    pushed_ms: int = 0


@dataclass(frozen=True)
class DeadLetter:
    """A record that could not be processed, with why and where it came from."""

    original_key: bytes | None
    original_value: bytes | None
    error: str
    topic: str
    partition: int
    offset: int
    time: int = 0


# -- schema families ---------------------------------------------------------------------


@dataclass
class _Family:
    """All versions of one schema; `current` is the one writers use."""

    name: str
    versions: dict[int, Any]  # version -> parsed schema
    by_fingerprint: dict[bytes, tuple[int, Any]]
    current_version: int

    @property
    def current(self) -> Any:
        return self.versions[self.current_version]

    def fingerprint_of(self, version: int) -> bytes:
        for fp, (v, _) in self.by_fingerprint.items():
            if v == version:
                return fp
        raise WireError(f"schema {self.name} has no version {version}")


_FILE_RE = re.compile(r"^(?P<family>[a-z_]+)\.v(?P<version>\d+)\.avsc$")


def schema_dir() -> Path:
    """Where the `.avsc` files are: $FLOWMETAL_SCHEMA_DIR, the package, or the source tree."""
    override = os.environ.get("FLOWMETAL_SCHEMA_DIR")
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent
    for candidate in (here / "schemas", here.parent / "schemas"):
        if candidate.is_dir():
            return candidate
    raise WireError(f"cannot find the schemas/ folder near {here}; set FLOWMETAL_SCHEMA_DIR")


def _fingerprint(raw_schema: Any) -> bytes:
    # fastavro renders CRC-64-AVRO as the hex of the little-endian bytes, which
    # is exactly the byte order single-object encoding puts on the wire.
    return bytes.fromhex(fingerprint(to_parsing_canonical_form(raw_schema), "CRC-64-AVRO"))


@cache
def _family(name: str) -> _Family:
    versions: dict[int, Any] = {}
    by_fp: dict[bytes, tuple[int, Any]] = {}
    folder = schema_dir()
    for path in sorted(folder.glob(f"{name}.v*.avsc")):
        match = _FILE_RE.match(path.name)
        if not match or match["family"] != name:
            continue
        version = int(match["version"])
        raw = json.loads(path.read_text(encoding="utf-8"))
        # A fresh name registry per version: every version defines the same record name.
        parsed = parse_schema(raw, named_schemas={})
        versions[version] = parsed
        by_fp[_fingerprint(raw)] = (version, parsed)
    if not versions:
        raise WireError(f"no schema files {name}.v*.avsc in {folder}")
    return _Family(name, versions, by_fp, max(versions))


def _encode(family_name: str, record: Mapping[str, Any], version: int | None = None) -> bytes:
    family = _family(family_name)
    version = family.current_version if version is None else version
    schema = family.versions.get(version)
    if schema is None:
        raise WireError(f"schema {family_name} has no version {version}")
    out = io.BytesIO()
    out.write(MAGIC)
    out.write(family.fingerprint_of(version))
    try:
        fastavro.schemaless_writer(out, schema, dict(record), strict=True)
    except (ValueError, TypeError, KeyError) as exc:
        raise WireError(f"cannot encode {family_name} record: {exc}") from exc
    return out.getvalue()


def _decode(family_name: str, data: bytes | None) -> dict[str, Any]:
    if data is None:
        raise WireError(f"expected a {family_name} record, got a tombstone (no value)")
    data = bytes(data)
    if len(data) < HEADER_LEN:
        raise WireError(f"not a {family_name} record: {len(data)} bytes is shorter than the header")
    if data[:2] != MAGIC:
        raise WireError(
            f"not a {family_name} record: bad magic {data[:2].hex()} (expected c301, "
            "Avro single-object encoding)"
        )
    family = _family(family_name)
    fp = data[2:HEADER_LEN]
    found = family.by_fingerprint.get(fp)
    if found is None:
        raise WireError(
            f"not a known {family_name} record: unknown schema fingerprint {fp.hex()} "
            f"(known versions: {sorted(family.versions)})"
        )
    _, writer = found
    body = io.BytesIO(data[HEADER_LEN:])
    try:
        record = fastavro.schemaless_reader(body, writer, reader_schema=family.current)
    except Exception as exc:  # fastavro raises EOFError, ValueError, UnicodeDecodeError, ...
        raise WireError(f"corrupt {family_name} record: {type(exc).__name__}: {exc}") from exc
    if body.tell() != len(data) - HEADER_LEN:
        raise WireError(
            f"corrupt {family_name} record: {len(data) - HEADER_LEN - body.tell()} "
            "bytes left after the body"
        )
    if not isinstance(record, dict):
        raise WireError(f"corrupt {family_name} record: body is not a record")
    return record


def encode_with_version(family: str, version: int, record: Mapping[str, Any]) -> bytes:
    """Encode `record` with an explicit (possibly old) schema version: for tests and tools."""
    return _encode(family, record, version)


def identify(data: bytes) -> tuple[str, int] | None:
    """Which schema family and version wrote `data`, or None: for debugging and DLQ tools."""
    if len(data) < HEADER_LEN or data[:2] != MAGIC:
        return None
    for path in schema_dir().glob("*.v*.avsc"):
        match = _FILE_RE.match(path.name)
        if not match:
            continue
        try:
            found = _family(match["family"]).by_fingerprint.get(bytes(data[2:HEADER_LEN]))
        except (WireError, ValueError, fastavro.schema.SchemaParseException):
            continue  # a schema file this module cannot parse on its own
        if found:
            return match["family"], found[0]
    return None


# -- JSON payloads -----------------------------------------------------------------------


def to_json_text(value: JSON) -> str:
    """A JSON value as compact JSON text (what the envelopes carry)."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise WireError(f"payload is not a JSON value: {exc}") from exc


def from_json_text(text: str) -> JSON:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise WireError(f"payload is not valid JSON text: {exc}") from exc


def _now_ms() -> int:
    return int(time.time() * 1000)


# -- messages (inbox) and requests (outbox) ----------------------------------------------


def encode_message(m: Message, sent_at_ms: int | None = None) -> bytes:
    """An inbox record value; `sent_at_ms` defaults to now."""
    return _encode(
        "message",
        {
            "task_id": m.task_id,
            "kind": m.kind,
            "id": m.id,
            "request_id": m.request_id,
            "payload": to_json_text(m.payload),
            "sent_at_ms": _now_ms() if sent_at_ms is None else sent_at_ms,
        },
    )


def decode_message_with_time(data: bytes) -> tuple[Message, int | None]:
    """The message and when it was sent (None when its writer did not say)."""
    r = _decode("message", data)
    message = Message(
        task_id=r["task_id"],
        kind=r["kind"],
        id=r["id"],
        request_id=r["request_id"],
        payload=from_json_text(r["payload"]),
    )
    return message, r.get("sent_at_ms")


def decode_message(data: bytes) -> Message:
    return decode_message_with_time(data)[0]


def encode_request(r: Request) -> bytes:
    """An outbox record value."""
    return _encode(
        "request",
        {
            "id": r.id,
            "task_id": r.task_id,
            "kind": r.kind,
            "payload": to_json_text(r.payload),
            "timeout": None if r.timeout is None else float(r.timeout),
            "retries": int(r.retries),
        },
    )


def decode_request(data: bytes) -> Request:
    r = _decode("request", data)
    return Request(
        id=r["id"],
        task_id=r["task_id"],
        kind=r["kind"],
        payload=from_json_text(r["payload"]),
        timeout=r["timeout"],
        retries=r["retries"],
    )


def headers_for_message(m: Message) -> Headers:
    return [(KIND_HEADER, m.kind.encode())]


def headers_for_request(r: Request) -> Headers:
    return [(KIND_HEADER, r.kind.encode())]


def kind_of(headers: Iterable[tuple[str, Any]] | Mapping[str, Any] | None) -> str | None:
    """The `flowmetal-kind` header of a record (as confluent-kafka returns headers), or None."""
    if headers is None:
        return None
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    for key, value in pairs:
        if key == KIND_HEADER and value is not None:
            return value.decode() if isinstance(value, bytes | bytearray) else str(value)
    return None


# -- history, state, programs, dead letters ----------------------------------------------


def encode_history(event: Mapping[str, Any]) -> bytes:
    """A history event: {"task_id", "seq", "kind", "time" (ms), "detail" (a JSON value)}."""
    try:
        record = {
            "task_id": event["task_id"],
            "seq": int(event["seq"]),
            "kind": event["kind"],
            "time": int(event["time"]),
            "detail": to_json_text(event.get("detail")),
        }
    except KeyError as exc:
        raise WireError(f"history event lacks {exc}") from exc
    return _encode("history", record)


def decode_history(data: bytes) -> dict[str, Any]:
    """The event dict `encode_history` took, with `detail` back as a JSON value."""
    r = _decode("history", data)
    r["detail"] = from_json_text(r["detail"])
    return r


def encode_state(record: StateRecord) -> bytes:
    return _encode(
        "state",
        {
            "task_id": record.task_id,
            "status": record.status,
            "program": record.program,
            "version": record.version,
            "snapshot": bytes(record.snapshot),
            "waiting_for": record.waiting_for,
            "result": record.result,
            "error": record.error,
            "updated_ms": int(record.updated_ms) or _now_ms(),
            "timers": [
                {"id": timer_id, "deadline_ms": int(deadline)}
                for timer_id, deadline in record.timers
            ],
            "steps": int(record.steps),
        },
    )


def decode_state(data: bytes) -> StateRecord:
    r = _decode("state", data)
    r["timers"] = tuple((t["id"], t["deadline_ms"]) for t in r.get("timers") or ())
    return StateRecord(**r)


def encode_program(
    name: str, version: str, source: str, filename: str, pushed_ms: int | None = None
) -> bytes:
    return _encode(
        "program",
        {
            "name": name,
            "version": version,
            "source": source,
            "filename": filename,
            "pushed_ms": _now_ms() if pushed_ms is None else pushed_ms,
        },
    )


def decode_program(data: bytes) -> ProgramRecord:
    return ProgramRecord(**_decode("program", data))


def encode_dead_letter(
    original_key: bytes | str | None,
    original_value: bytes | None,
    error: str,
    topic: str,
    partition: int,
    offset: int,
) -> bytes:
    """A dlq record value: the original bytes untouched, why, and where they came from."""
    key = original_key.encode() if isinstance(original_key, str) else original_key
    return _encode(
        "dead_letter",
        {
            "original_key": None if key is None else bytes(key),
            "original_value": None if original_value is None else bytes(original_value),
            "error": error,
            "topic": topic,
            "partition": int(partition),
            "offset": int(offset),
            "time": _now_ms(),
        },
    )


def decode_dead_letter(data: bytes) -> DeadLetter:
    return DeadLetter(**_decode("dead_letter", data))
