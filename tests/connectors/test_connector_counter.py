"""counter.flow end to end: a real interpreter process and a real echo connector process,
both killed with SIGKILL mid-run and restarted: main(n) still returns n."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from connector_helpers import ROOT, env_for, read_topic, start_process

from flowmetal import wire
from flowmetal.config import Settings
from flowmetal.protocol import Message

pytestmark = pytest.mark.kafka

COUNTER = """
from flow.connector import call


def main(steps=20):
    total = 0
    for i in range(steps):
        total += call("echo", {"n": 1})["n"]
    return total
"""

ECHO = "flowmetal.connectors.echo:EchoConnector"


def start_interpreter(
    settings: Settings, group: str, log: Path, state: Path
) -> subprocess.Popen[bytes]:
    env = {**env_for(settings), "FLOWMETAL_STATE_DIR": str(state)}
    args = [
        "--group",
        group,
        "--commit-ms",
        "30",
        "--session-timeout-ms",
        "6000",
        "--transaction-timeout-ms",
        "8000",
    ]
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "flowmetal.interpreter", *args],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _tails(tmp_path: Path) -> str:
    return "\n".join(
        f"--- {p.name}\n{p.read_text(errors='replace')[-2500:]}"
        for p in sorted(tmp_path.glob("*.log"))
    )


def _responses(
    settings: Settings, task_id: str, count: int, timeout: float = 30.0
) -> list[Message]:
    """The task's `response` messages in the inbox, once `count` are there (or at `timeout`)."""

    def mine(records: list[Any]) -> list[Message]:
        messages = [wire.decode_message(r.value()) for r in records if r.key() == task_id.encode()]
        return [m for m in messages if m.kind == "response"]

    records = read_topic(
        settings, settings.topic("inbox"), lambda rs: len(mine(rs)) >= count, timeout, settle=1.0
    )
    return mine(records)


def _run_counter(settings: Settings, steps: int, task_id: str) -> Any:
    from flowmetal.interpreter.client import TaskClient

    with TaskClient(settings) as client:
        return client.run("counter", [steps], task_id=task_id, timeout=150)


def test_counter_through_interpreter_and_echo_processes(kafka, processes, tmp_path: Path) -> None:
    from flowmetal.programs import push

    settings = kafka.settings("counter")
    push(settings, COUNTER, "counter.flow", "counter")
    group = f"interp-{uuid.uuid4().hex[:8]}"
    processes.append(
        start_interpreter(settings, group, tmp_path / "interp.log", tmp_path / "state")
    )
    processes.append(start_process(settings, ["connector", "run", ECHO], tmp_path / "echo.log"))
    record = _run_counter(settings, 20, "count-20")
    assert record.status == "done", _tails(tmp_path)
    assert record.result_value == 20


def test_counter_survives_sigkill_of_connector_and_interpreter(
    kafka, processes, tmp_path: Path
) -> None:
    from flowmetal.interpreter.client import TaskClient
    from flowmetal.programs import push

    settings = kafka.settings("counter-crash")
    push(settings, COUNTER, "counter.flow", "counter")
    group = f"interp-{uuid.uuid4().hex[:8]}"
    state = tmp_path / "state"
    steps = 40
    echo_args = ["connector", "run", ECHO, "-o", "delay=0.1"]
    interp = start_interpreter(settings, group, tmp_path / "interp.log", state)
    echo = start_process(settings, echo_args, tmp_path / "echo.log")
    processes.extend([interp, echo])
    with TaskClient(settings) as client:
        task_id, _ = client.start("counter", [steps], task_id="count-crash")

    def answered() -> int:
        return len({m.request_id for m in _responses(settings, task_id, steps + 1, timeout=1.0)})

    def wait_progress(at_least: int, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while answered() < at_least:
            assert time.monotonic() < deadline, f"no progress past {at_least}\n{_tails(tmp_path)}"

    wait_progress(5)
    echo.send_signal(signal.SIGKILL)
    echo.wait(10)
    echo = start_process(settings, echo_args, tmp_path / "echo.log")
    processes.append(echo)

    wait_progress(15)
    interp.send_signal(signal.SIGKILL)
    interp.wait(10)
    interp = start_interpreter(settings, group, tmp_path / "interp.log", state)
    processes.append(interp)

    wait_progress(25)
    echo.send_signal(signal.SIGKILL)
    interp.send_signal(signal.SIGKILL)
    echo.wait(10)
    interp.wait(10)
    processes.append(start_process(settings, echo_args, tmp_path / "echo.log"))
    processes.append(start_interpreter(settings, group, tmp_path / "interp.log", state))

    with TaskClient(settings) as client:
        record = client.wait(task_id, timeout=150, start=0)
    assert record.status == "done", _tails(tmp_path)
    assert record.result_value == steps
    counts = Counter(m.request_id for m in _responses(settings, task_id, steps))
    assert len(counts) == steps and set(counts.values()) == {1}, counts
