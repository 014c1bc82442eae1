"""Helpers of the HTTP server connector's Kafka tests: real processes on free local ports.

`ServerProcess` runs `flowmetal connector http-server` (or any flowmetal
command) with the FLOWMETAL_* settings of a test; `inbox_messages` reads a
topic's committed records from the beginning.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from flowmetal import wire
from flowmetal.config import INBOX, Settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-api-token"
SECRET = "test-callback-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env_for(settings: Settings, base_url: str = "") -> dict[str, str]:
    """The environment a flowmetal process of this test runs with."""
    return {
        **os.environ,
        "FLOWMETAL_BOOTSTRAP": settings.bootstrap,
        "FLOWMETAL_TOPIC_PREFIX": settings.topic_prefix,
        "FLOWMETAL_PARTITIONS": str(settings.partitions),
        "FLOWMETAL_STATE_DIR": settings.state_dir,
        "FLOWMETAL_CALLBACK_BASE_URL": base_url,
        "FLOWMETAL_CALLBACK_SECRET": SECRET,
        "FLOWMETAL_API_TOKEN": TOKEN,
        "PYTHONUNBUFFERED": "1",
    }


class Process:
    """`flowmetal <args>` as a real process, its output in a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT):
        self.args = args
        self.env = env
        self.log = log
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        out = open(self.log, "ab")  # noqa: SIM115 - the process owns it until it ends
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from flowmetal.cli import main; main()", *self.args],
            env=self.env,
            cwd=self.cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        out.close()
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """kill -9: no goodbye, no flush."""
        if self.running():
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.running():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class ServerProcess(Process):
    """The HTTP server connector on a free port of 127.0.0.1."""

    def __init__(self, settings: Settings, log: Path, port: int | None = None, instance: str = ""):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = ["connector", "http-server", "--port", str(self.port)]
        if instance:
            args += ["--instance", instance]
        super().__init__(args, env_for(settings, self.url), log)

    def start(self) -> ServerProcess:
        super().start()
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise AssertionError(f"the server exited:\n{self.output()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the server did not become healthy:\n{self.output()}")

    def api(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {TOKEN}", **kw.pop("headers", {})}
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kw)


def wait_for(check: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def read_records(
    settings: Settings, name: str, settle: float = 1.0, timeout: float = 30.0
) -> list[Any]:
    """Every committed record of topic `name` (short name), reading until `settle` seconds pass
    without a new one."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    from flowmetal.kafka import consumer_config

    topic = settings.topic(name)
    consumer = Consumer(consumer_config(settings, f"reader.{time.monotonic_ns()}"))
    meta = consumer.list_topics(topic, timeout=10)
    consumer.assign(
        [TopicPartition(topic, p, OFFSET_BEGINNING) for p in meta.topics[topic].partitions]
    )
    records: list[Any] = []
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    try:
        while time.monotonic() < deadline and time.monotonic() - quiet_since < settle:
            batch = [r for r in consumer.consume(500, 0.1) if r.error() is None]
            if batch:
                records.extend(batch)
                quiet_since = time.monotonic()
    finally:
        consumer.close()
    return records


def inbox_messages(settings: Settings, settle: float = 1.0) -> list[Any]:
    return [wire.decode_message(r.value()) for r in read_records(settings, INBOX, settle)]


class Stack:
    """A server and an interpreter over one test's topics."""

    def __init__(self, settings: Any, tmp_path: Path):
        self.settings = settings
        self.server = ServerProcess(settings, tmp_path / "server.log")
        self.interpreter = Process(
            ["interpreter", "--instance-id", "i1"],
            env_for(settings, self.server.url),
            tmp_path / "interpreter.log",
        )

    def start(self) -> Stack:
        self.interpreter.start()
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()
        self.interpreter.stop()

    def logs(self) -> str:
        return f"--- server\n{self.server.output()}\n--- interpreter\n{self.interpreter.output()}"

    def push(self, name: str, source: str) -> str:
        resp = self.server.api("POST", "/v1/programs", json={"name": name, "source": source})
        assert resp.status_code == 201, resp.text
        return str(resp.json()["version"])

    def wait_status(self, task_id: str, statuses: set[str], timeout: float = 60.0) -> Any:
        def check() -> Any:
            resp = self.server.api("GET", f"/v1/tasks/{task_id}")
            return resp.status_code == 200 and resp.json()["status"] in statuses and resp.json()

        try:
            return wait_for(check, timeout, f"task {task_id} to be {statuses}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.logs()}") from None

    def history(self, task_id: str) -> list[dict[str, Any]]:
        return list(self.server.api("GET", f"/v1/tasks/{task_id}/history").json()["events"])
