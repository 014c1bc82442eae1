"""The project's examples, and small programs, run to their end by `run_local` with the real VM."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from flowmetal.errors import FlowSyntaxError
from flowmetal.runner import RunOutcome, run_local


def run_example(examples: Path, name: str, *args: Any, **options: Any) -> RunOutcome:
    path = examples / name
    return run_local(path.read_text(), str(path), list(args), **options)


def run_source(source: str, *args: Any, **options: Any) -> RunOutcome:
    return run_local(source, "prog.flow", list(args), out=io.StringIO(), **options)


@pytest.mark.parametrize("snapshot_each_step", [False, True])
def test_fan_out(examples: Path, snapshot_each_step: bool) -> None:
    outcome = run_example(examples, "fan_out.flow", 10, snapshot_each_step=snapshot_each_step)
    assert (outcome.status, outcome.result) == ("done", 285)


@pytest.mark.parametrize("snapshot_each_step", [False, True])
def test_timers(examples: Path, snapshot_each_step: bool) -> None:
    outcome = run_example(examples, "timers.flow", snapshot_each_step=snapshot_each_step)
    assert outcome.result == {"slept_long_enough": True, "got": "a timeout"}


class Echo:
    kind = "echo"

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def handle(self, request: Any) -> Any:
        self.seen.append(request.id)
        return request.payload


def test_counter_with_an_echo_connector(examples: Path) -> None:
    echo = Echo()
    outcome = run_example(examples, "counter.flow", 20, connectors={"echo": echo})
    assert outcome.result == 20
    assert len(echo.seen) == len(set(echo.seen)) == 20


def test_counter_with_the_sdk_echo_connector(examples: Path) -> None:
    from flowmetal.connectors.echo import EchoConnector

    outcome = run_example(examples, "counter.flow", 5, connectors={"echo": EchoConnector()})
    assert outcome.result == 5


def test_counter_without_a_connector_fails_clearly(examples: Path) -> None:
    outcome = run_example(examples, "counter.flow", 3, out=io.StringIO())
    assert outcome.status == "failed"
    assert outcome.error is not None
    assert "no connector for kind 'echo'" in outcome.error.message


@pytest.mark.parametrize(
    ("callback", "wait", "snapshot_each_step"),
    [("yes", 30, False), ("no", 0.5, False), ("yes", 30, True), ("no", 0.5, True)],
    ids=["by-callback", "by-polling", "by-callback-snapshots", "by-polling-snapshots"],
)
def test_remote_job(
    examples: Path,
    job_service: Callable[..., str],
    callback: str,
    wait: float,
    snapshot_each_step: bool,
) -> None:
    base = job_service(callback=callback, delay=0.3)
    outcome = run_example(
        examples, "remote_job.flow", base, "web-1", wait, snapshot_each_step=snapshot_each_step
    )
    assert outcome.status == "done", outcome.error
    assert outcome.result["status"] == "SUCCESS"
    assert outcome.result["host"] == "web-1"
    stats = httpx.get(f"{base}/stats").json()
    assert stats["jobs"] == 1
    assert list(stats["created_per_key"].values()) == [1]
    assert list(stats["requests_per_key"].values()) == [1]
    if callback == "yes":
        assert stats["callback_status"] == {outcome.result["job_id"]: [202]}


def test_remote_job_retries_a_503_without_a_second_job(
    examples: Path, job_service: Callable[..., str]
) -> None:
    base = job_service(callback="yes", delay=0.2, fail_first=2)
    outcome = run_example(examples, "remote_job.flow", base, "db-1")
    assert outcome.result["status"] == "SUCCESS"
    stats = httpx.get(f"{base}/stats").json()
    assert stats["jobs"] == 1
    assert list(stats["requests_per_key"].values()) == [3]  # two 503s, then the job


def test_each_run_is_a_new_task_unless_its_id_is_given(
    examples: Path, job_service: Callable[..., str]
) -> None:
    base = job_service(callback="yes", delay=0.1)
    first = run_example(examples, "remote_job.flow", base, "a")
    second = run_example(examples, "remote_job.flow", base, "a")
    assert first.task_id != second.task_id
    assert first.result["job_id"] != second.result["job_id"]
    # The replayed creation is answered with the first job, whose callback has
    # come and gone: the replay polls after its short callback wait.
    replay = run_example(examples, "remote_job.flow", base, "a", 0.5, task_id=first.task_id)
    assert replay.result["job_id"] == first.result["job_id"]  # same Idempotency-Key
    assert httpx.get(f"{base}/stats").json()["jobs"] == 2


def test_printed_lines_go_to_out_not_the_result() -> None:
    out = io.StringIO()
    outcome = run_local('def main():\n    print("hi", 1)\n    return 2\n', "p.flow", [], out=out)
    assert outcome.result == 2
    assert out.getvalue() == "hi 1\n"


def test_uncaught_error_fails_with_a_flowmetal_traceback() -> None:
    outcome = run_source("def main(x):\n    y = x + 1\n    return y / 0\n", 1)
    assert outcome.status == "failed"
    assert outcome.error is not None
    assert outcome.error.type == "ZeroDivisionError"
    assert "prog.flow" in outcome.error.traceback
    assert "line 3" in outcome.error.traceback


def test_a_failed_child_raises_in_its_parent() -> None:
    source = """
from flow.task import spawn

def child(d):
    return d["missing"]

def main():
    try:
        await spawn(child, {})
    except Exception as e:
        return "caught"
    return "not raised"
"""
    assert run_source(source).result == "caught"


def test_receive_forever_is_reported_as_a_deadlock() -> None:
    source = "from flow.task import receive\n\ndef main():\n    return receive()\n"
    outcome = run_source(source)
    assert outcome.status == "failed"
    assert outcome.error is not None and outcome.error.type == "Deadlock"


def test_send_and_receive_between_tasks() -> None:
    source = """
from flow.task import spawn, send, receive, self_id

def child(parent):
    send(parent, {"from_child": self_id()})
    return receive() * 2

def main():
    handle = spawn(child, self_id())
    msg = receive()
    send(msg["from_child"], 21)
    return await handle
"""
    assert run_source(source).result == 42


def test_spawn_of_another_program_given_by_file(tmp_path: Path) -> None:
    other = tmp_path / "billing.flow"
    other.write_text("def main(x):\n    return x * 3\n")
    source = 'from flow.task import spawn\n\ndef main():\n    return await spawn("billing", 5)\n'
    assert run_source(source, programs={"billing": str(other)}).result == 15
    refused = run_source(source)
    assert refused.status == "failed"
    assert refused.error is not None and "cannot spawn program 'billing'" in refused.error.message


def test_busy_task_yields_and_goes_on() -> None:
    from flowmetal.vm import Limits

    source = "def main(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\n"
    assert run_source(source, 5000, limits=Limits(fuel=500)).result == sum(range(5000))


def test_syntax_error_raises_with_position() -> None:
    with pytest.raises(FlowSyntaxError) as info:
        run_local("def main(:\n    return 1\n", "bad.flow", [])
    assert info.value.filename == "bad.flow"
    assert info.value.line == 1
