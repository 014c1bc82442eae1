"""A real connector process killed with SIGKILL mid-stream, or stopped with SIGTERM, and
restarted: every request still gets exactly one response in the inbox."""

from __future__ import annotations

import re
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from connector_helpers import produce_requests, read_responses, start_process

from flowmetal.protocol import Request

pytestmark = pytest.mark.kafka

ECHO = "flowmetal.connectors.echo:EchoConnector"


def _requests(n: int) -> list[Request]:
    return [
        Request(id=f"job-{i % 20}.{i}", task_id=f"job-{i % 20}", kind="echo", payload={"i": i})
        for i in range(n)
    ]


def _wait_for_responses(settings, count: int, timeout: float = 60.0) -> None:
    messages = read_responses(settings, count, timeout=timeout)
    assert len({m.request_id for m in messages}) >= count, "the connector answered too few"


def test_sigkill_while_200_requests_are_in_flight_answers_each_once(
    kafka, processes, tmp_path: Path
) -> None:
    settings = kafka.settings("sigkill")
    requests = _requests(200)
    produce_requests(settings, requests)
    # Up to all 200 in flight at once, finishing out of order (0.5-3.5 s each): answers
    # behind an unfinished request wait for it, and the kill catches some of each kind.
    args = [
        "connector",
        "run",
        ECHO,
        "-o",
        "delay=0.5",
        "-o",
        "jitter=3.0",
        "--max-in-flight",
        "200",
    ]
    log = tmp_path / "connector.log"

    first = start_process(settings, args, log)
    processes.append(first)
    _wait_for_responses(settings, 20)
    first.send_signal(signal.SIGKILL)
    first.wait(10)

    second = start_process(settings, args, log)
    processes.append(second)
    messages = read_responses(settings, 200, timeout=120, settle=3.0)
    counts = Counter(m.request_id for m in messages)
    assert set(counts) == {r.id for r in requests}, log.read_text()[-3000:]
    assert [rid for rid, n in counts.items() if n > 1] == []
    for m in messages:
        assert m.payload["ok"] is True and m.id == f"{m.request_id}:response"

    second.send_signal(signal.SIGTERM)
    assert second.wait(30) == 0
    # The restarted process did part of the work: the kill really interrupted the stream.
    served = re.findall(r"stopped after (\d+) responses", log.read_text())
    assert len(served) == 1 and 0 < int(served[0]) < 200


def test_partitions_moving_to_a_second_process_mid_stream_answer_each_once(
    kafka, processes, tmp_path: Path
) -> None:
    settings = kafka.settings("rebalance")
    requests = _requests(300)
    produce_requests(settings, requests)
    args = [
        "connector",
        "run",
        ECHO,
        "-o",
        "delay=0.1",
        "-o",
        "jitter=0.5",
        "--max-in-flight",
        "40",
    ]
    first = start_process(settings, args, tmp_path / "first.log")
    processes.append(first)
    _wait_for_responses(settings, 30)
    second = start_process(settings, args, tmp_path / "second.log")  # the group rebalances
    processes.append(second)
    _wait_for_responses(settings, 150, timeout=90)
    first.send_signal(signal.SIGTERM)  # the rest moves to the second
    assert first.wait(30) == 0
    messages = read_responses(settings, 300, timeout=120, settle=2.0)
    counts = Counter(m.request_id for m in messages)
    assert set(counts) == {r.id for r in requests}
    assert [rid for rid, n in counts.items() if n > 1] == []
    logs = [(tmp_path / f"{n}.log").read_text() for n in ("first", "second")]
    assert all("revoked" in log for log in logs[:1]) and "assigned" in logs[1]
    second.send_signal(signal.SIGTERM)
    assert second.wait(30) == 0
    served = [
        int(re.findall(r"stopped after (\d+) responses", log)[-1])
        for log in ((tmp_path / f"{n}.log").read_text() for n in ("first", "second"))
    ]
    assert all(n > 0 for n in served), served  # both did part of the work


def test_sigterm_finishes_in_flight_requests_and_exits_zero(
    kafka, processes, tmp_path: Path
) -> None:
    settings = kafka.settings("sigterm")
    requests = _requests(60)
    produce_requests(settings, requests)
    log = tmp_path / "connector.log"
    args = ["connector", "run", ECHO, "-o", "delay=1.0", "--transactional-id", "echo-sigterm"]
    proc = start_process(settings, args, log)
    processes.append(proc)
    _wait_for_responses(settings, 1)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0, log.read_text()[-3000:]
    assert time.monotonic() - started < 15
    # All 60 were in flight at once (1 s each): draining answered every one of them.
    messages = read_responses(settings, 60, timeout=10, settle=1.0)
    assert Counter(m.request_id for m in messages) == Counter(r.id for r in requests)
