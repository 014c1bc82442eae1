"""A connector process's Prometheus metrics (FLOWMETAL_METRICS_PORT), through the real broker."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from connector_helpers import produce_raw, produce_requests, read_responses, start_process

from flowmetal.protocol import Request

pytestmark = pytest.mark.kafka

ECHO = "flowmetal.connectors.echo:EchoConnector"
RESPONSES = 'flowmetal_connector_responses_total{kind="echo"}'
DEAD = 'flowmetal_connector_dead_letters_total{kind="echo"}'
IN_FLIGHT = 'flowmetal_connector_in_flight{kind="echo"}'


def test_the_echo_connector_counts_responses_and_dead_letters(
    kafka: Any,
    processes: list[Any],
    tmp_path: Path,
    free_port: int,
    scrape: Callable[[int], dict[str, float]],
) -> None:
    settings = kafka.settings("connector-metrics")
    requests = [Request(id=f"m-{i}.1", task_id=f"m-{i}", kind="echo", payload=i) for i in range(7)]
    produce_requests(settings, requests)
    produce_raw(settings, b"m-bad", b"\x00 not a request", [("flowmetal-kind", "echo")])
    log = tmp_path / "connector.log"
    proc = start_process(
        settings, ["connector", "run", ECHO], log, FLOWMETAL_METRICS_PORT=str(free_port)
    )
    processes.append(proc)
    assert len(read_responses(settings, 7, timeout=60)) == 7
    # The totals move when the transaction that holds them commits: allow a moment.
    deadline = time.monotonic() + 20
    metrics = {}
    while time.monotonic() < deadline:
        try:
            metrics = scrape(free_port)
        except OSError:  # not listening yet
            metrics = {}
        if metrics.get(RESPONSES) == 7 and metrics.get(DEAD) == 1:
            break
        time.sleep(0.2)
    assert metrics.get(RESPONSES) == 7, (metrics, log.read_text()[-2000:])
    assert metrics.get(DEAD) == 1
    assert metrics[IN_FLIGHT] == 0
    assert metrics['flowmetal_connector_request_seconds_count{kind="echo"}'] == 7
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0, log.read_text()[-2000:]
