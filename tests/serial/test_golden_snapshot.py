"""Old writer, new reader: a snapshot written by format 1 (bytecode 1) must still restore.

GOLDEN is a snapshot taken, when format 1 was made, of SOURCE waiting in its
`sleep(5)`: in the middle of a for loop, inside a `with timeout(60)` block
and a try/finally. If this test fails, the snapshot format or the meaning
of compiled code changed: bump SNAPSHOT_FORMAT or BYTECODE_VERSION (and
keep a reader for the old format), do not regenerate GOLDEN.
"""

from __future__ import annotations

import base64
import textwrap

from flowmetal import protocol
from flowmetal.compile import compile_program
from flowmetal.vm import Task

SOURCE = textwrap.dedent(
    """
    from flow.time import sleep, timeout
    def main(n):
        acc = {"seen": [], "big": 2 ** 70}
        alias = acc["seen"]
        step = lambda x: x * 3
        with timeout(60):
            for i in range(n):
                alias.append(step(i))
                if i == 1:
                    try:
                        sleep(5)
                    finally:
                        alias.append("after")
        return acc
    """
)

GOLDEN = (
    "Rk1TTgABAgKAAWMyN2I0ODhkOTYzNDAzNzg4OWZiMWVmZDc0NGEwNDk5MzA3YTMzMzFjNTFjMDBkYmMwMjkxYjRk"
    "MTc2N2Q0MGQEZzEOd2FpdGluZwEIbWFpbghtYWluAAAEAgp0aW1lcgIIZzEuMgAKcGxhaW4KdGltZXIAAgJYAAIE"
    "BggEAnwCAQJoBAEAAArqCFtbImZuIiwxLCJtYWluIiwibWFpbiIsWzIyXSxbMjRdLFsyMl1dLFsibCIsWzMsWzE5"
    "XSxbMjBdLFsyMV0sMV1dLFsibCIsW11dLFsibCIsW1sxM10sWzE3XV1dLFsibCIsW251bGxdXSxbImwiLFtbNl0s"
    "WzddLFs4XSxbOV0sWzEwXSxbMTFdLFsxMl0sbnVsbF1dLFsiZCIsWyJzbGVlcCIsInRpbWVvdXQiLCJtYWluIl0s"
    "W1sxNV0sWzE2XSxbMF1dXSxbImwiLFszXV0sWyJkIixbXSxbXV0sWyJkIixbImcxLjIiXSxbWzE0XV1dLFsiZCIs"
    "W10sW11dLFsibCIsW11dLFsibCIsW1sxM11dXSxbInRvIiw2MC4wLCJnMS4xIiwiYWN0aXZlIl0sWyJsIixbInRp"
    "bWVyIixudWxsXV0sWyJiIiwiZmxvdy50aW1lLnNsZWVwIl0sWyJiIiwiZmxvdy50aW1lLnRpbWVvdXQiXSxbIml0"
    "IixbMThdLDIsbnVsbCwwXSxbInIiLDAsMywxXSxbImQiLFsic2VlbiIsImJpZyJdLFtbMjBdLDExODA1OTE2MjA3"
    "MTc0MTEzMDM0MjRdXSxbImwiLFswLDNdXSxbImZuIiwyLCI8bGFtYmRhPiIsIm1haW4uPGxvY2Fscz4uPGxhbWJk"
    "YT4iLFsyMl0sWzIzXSxbMjJdXSxbInQiLFtdXSxbImQiLFtdLFtdXSxbImQiLFtdLFtdXV0="
)


def test_a_format_1_snapshot_restores_and_finishes() -> None:
    program = compile_program(SOURCE, "golden.flow")
    task = Task.restore(base64.b64decode(GOLDEN), program)
    assert task.status == "waiting"
    r = task.step(protocol.Message("g1", "timer", "m2", request_id="g1.2"))
    assert r.status == "done"
    assert r.result == {"seen": [0, 3, "after", 6], "big": 2**70}
    assert r.effects[0] == protocol.CancelTimer("g1.1", "g1")
