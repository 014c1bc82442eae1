"""docs/connectors.md tells other languages the bytes to write: keep it true to the encoder."""

from __future__ import annotations

import re

from connector_helpers import ROOT

from flowmetal import wire
from flowmetal.protocol import Message, Request

DOC = (ROOT / "docs" / "connectors.md").read_text(encoding="utf-8")


def _hex_blocks() -> list[bytes]:
    """The byte dumps of the doc: code blocks whose lines start with hex pairs."""
    blocks = []
    for block in re.findall(r"```\n(c3 01 .*?)```", DOC, flags=re.S):
        pairs: list[str] = []
        for line in block.splitlines():
            pairs += re.findall(r"^((?:[0-9a-f]{2} ?)+)", line.strip())[:1]
        blocks.append(bytes.fromhex("".join(pairs).replace(" ", "")))
    return blocks


def test_the_fingerprint_table_matches_the_schemas() -> None:
    rows = re.findall(r"\| (\w+) v(\d+) \| `schemas/(\w+)\.v\d+\.avsc` \| `([0-9a-f]{16})` \|", DOC)
    assert len(rows) >= 4
    for _, version, family, hexprint in rows:
        assert wire._family(family).fingerprint_of(int(version)).hex() == hexprint


def test_the_worked_request_and_response_bytes_are_what_the_encoder_writes() -> None:
    request_bytes, response_bytes = _hex_blocks()
    request = Request(id="t-1.1", task_id="t-1", kind="echo", payload={"n": 1})
    assert request_bytes == wire.encode_request(request)
    response = Message(
        "t-1", "response", "t-1.1:response", "t-1.1", {"ok": True, "value": {"n": 1}}
    )
    assert response_bytes == wire.encode_message(response, sent_at_ms=1_700_000_000_000)
    assert wire.decode_message(response_bytes) == response
