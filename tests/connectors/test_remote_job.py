"""The remote-job program end to end: interpreter + HTTP request connector + HTTP server.

A stand-in job service (examples/job_service.py, on a free local port) makes
one job per Idempotency-Key, finishes it after a delay and, when callbacks
are on, POSTs it to the callback URL. The program asks for a job with a
callback URL, waits for the callback with a timeout, and polls when no
callback comes. Every run must end with the finished job as the task's
result and exactly one job per idempotency key, also when the interpreter
is killed with SIGKILL in the middle and restarted.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import ROOT, Process, Stack, env_for, wait_for

pytestmark = pytest.mark.kafka

PROGRAM = """\
from flow.http import callback, request
from flow.time import sleep, timeout, forever, Timeout

def reliable_remote_job(make_request, job_from_response, get_job, callback_timeout=None,
                        job_completed=None, poll_sleep=None):
    cb = callback.new()
    resp = make_request(cb.url)
    resp.raise_for_status()
    job = job_from_response(resp)
    with callback_timeout or forever():
        try:
            await cb.event
            return get_job(job)
        except Timeout:
            pass
    while not job_completed(job):
        sleep(poll_sleep() if poll_sleep else 1)
    return get_job(job)

def main(base_url, host, callback_wait=30):
    def create_job(cb_url):
        return request("POST", f"{base_url}/api/v3/host/{host}",
                       json={"stages": ["drain", "reboot", "undrain"], "callbacks": [cb_url]})
    def job_from_response(resp):
        return resp.json().get("job_id")
    def get_job(job_id):
        return request("GET", f"{base_url}/api/v3/job/{job_id}").json()
    def job_completed(job_id):
        status = request("GET", f"{base_url}/api/v3/job/{job_id}/status").json()
        return status.get("status", "PENDING") in ["SUCCESS", "FAILURE"]
    return reliable_remote_job(create_job, job_from_response, get_job,
                               callback_timeout=timeout(callback_wait),
                               job_completed=job_completed, poll_sleep=lambda: 0.2)
"""


class JobService:
    """examples/job_service.py as a process on a free port."""

    def __init__(self, callback: bool, delay: float, log: Path):
        out = open(log, "ab")  # noqa: SIM115 - the process owns it
        self.proc = subprocess.Popen(
            [sys.executable, "-u", str(ROOT / "examples" / "job_service.py"), "--port", "0"]
            + ["--callback", "yes" if callback else "no", "--delay", str(delay)],
            stdout=subprocess.PIPE,
            stderr=out,
        )
        out.close()
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        assert line.startswith("listening on "), line
        self.url = line.split()[-1]

    def stats(self) -> dict[str, Any]:
        return dict(httpx.get(self.url + "/stats", timeout=10).json())

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def remote(kafka: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Process]]:
    """One stack for the module (each test has its own task and job service): faster."""
    logs = tmp_path_factory.mktemp("remote-job")
    stack = Stack(kafka.settings("remote-job-e2e"), logs).start()
    connector = Process(
        ["connector", "http"], env_for(stack.settings, stack.server.url), logs / "http.log"
    ).start()
    try:
        stack.push("remote_job", PROGRAM)
        yield stack, connector
    finally:
        connector.stop()
        stack.stop()


@pytest.mark.parametrize(
    "callback, crash",
    [(True, False), (False, False), (True, True), (False, True)],
    ids=["callback", "polling", "callback-crash", "polling-crash"],
)
def test_the_remote_job_finishes_with_one_job_per_key(
    remote: tuple[Stack, Process], tmp_path: Path, callback: bool, crash: bool
) -> None:
    stack, connector = remote
    jobs = JobService(callback, delay=2.0 if crash else 0.5, log=tmp_path / "jobs.log")
    try:
        task_id = f"rj-{'cb' if callback else 'poll'}-{'crash' if crash else 'ok'}"
        # Without callbacks the program waits callback_wait seconds, then polls.
        kwargs = {"callback_wait": 30 if callback else 1}
        body = {
            "program": "remote_job",
            "args": [jobs.url, "host-1"],
            "kwargs": kwargs,
            "id": task_id,
        }
        assert stack.server.api("POST", "/v1/tasks", json=body).status_code == 201
        if crash:
            wait_for(lambda: jobs.stats()["jobs"] >= 1, 60, "the job to be created")
            stack.interpreter.kill()  # SIGKILL mid-run: no commit, no goodbye
            time.sleep(0.5)
            stack.interpreter.start()
        task = stack.wait_status(task_id, {"done", "failed", "cancelled"}, timeout=120)
        assert task["status"] == "done", f"{task}\n{stack.logs()}\n--- http\n{connector.output()}"
        result = task["result"]
        assert result["status"] == "SUCCESS" and result["host"] == "host-1"
        assert result["stages"] == ["drain", "reboot", "undrain"]
        stats = jobs.stats()
        assert stats["jobs"] == 1
        assert list(stats["created_per_key"].values()) == [1]
        assert "" not in stats["created_per_key"]  # the connector sent an Idempotency-Key
        if callback:
            assert stats["callback_status"][result["job_id"]] == [202]
        else:
            assert stats["callback_status"] == {}
    finally:
        jobs.stop()
