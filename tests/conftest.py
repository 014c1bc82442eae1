"""Root test configuration: the `kafka` marker and the session-wide `kafka` fixture.

Tests that need the real broker ask for the `kafka` fixture (and are marked
`@pytest.mark.kafka`; asking for the fixture adds the mark anyway). The
broker is found or started lazily, the first time a test asks for it:

1. FLOWMETAL_BOOTSTRAP set: use that cluster, start nothing;
2. a broker answers on localhost:9092 (or $FLOWMETAL_KAFKA_PORT): use it;
3. otherwise run `ops/kafka/broker start`, and `stop` it when the session ends.

Tests are isolated by topic prefix and consumer group, not by broker:
`kafka.settings("name")` gives Settings with a fresh prefix whose topics
already exist, and a fresh state directory. `pytest -m "not kafka"` runs
everything else without Java.
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from flowmetal.config import Settings

ROOT = Path(__file__).resolve().parent.parent
BROKER_SCRIPT = ROOT / "ops" / "kafka" / "broker"
# The port ops/kafka/broker uses (FLOWMETAL_KAFKA_PORT, as the script reads it).
DEFAULT_BOOTSTRAP = f"localhost:{os.environ.get('FLOWMETAL_KAFKA_PORT', '9092')}"


# Property tests: no per-example deadline (the machines are shared and noisy; a slow
# example is not a wrong one). Under CI the examples are derandomized, so a landing is
# reproducible; run locally, hypothesis keeps looking for new counterexamples.
settings.register_profile(
    "flowmetal",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("CI") == "true",
)
settings.load_profile("flowmetal")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "kafka: needs the real Kafka broker (started by the session fixture)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test that uses the broker is a kafka test, marked or not: `-m "not kafka"` skips it.
    for item in items:
        if "kafka" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.kafka)


def _answers(bootstrap: str, timeout: float = 1.0) -> bool:
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    try:
        with socket.create_connection((host or "localhost", int(port)), timeout=timeout):
            return True
    except OSError:
        return False


class KafkaBroker:
    """The broker of this test session, and a factory of isolated Settings."""

    def __init__(self, bootstrap: str, state_root: Path) -> None:
        self.bootstrap = bootstrap
        self._state_root = state_root
        self.prefixes: list[str] = []

    def settings(self, name: str = "test", partitions: int = 3) -> Settings:
        """Settings with a unique topic prefix (topics created) and a fresh state directory."""
        from flowmetal.kafka import ensure_topics

        clean = re.sub(r"[^A-Za-z0-9_-]+", "-", name)[:60]
        prefix = f"t{uuid.uuid4().hex[:10]}.{clean}."
        settings = dataclasses.replace(
            Settings.from_env(),
            bootstrap=self.bootstrap,
            topic_prefix=prefix,
            partitions=partitions,
            state_dir=tempfile.mkdtemp(prefix=f"{clean}-", dir=self._state_root),
        )
        ensure_topics(settings)
        self.prefixes.append(prefix)
        return settings

    def group_id(self, name: str = "group") -> str:
        """A consumer group id no other test uses."""
        return f"g{uuid.uuid4().hex[:10]}.{name}"

    def delete_topics(self) -> None:
        """Best effort: drop this session's topics so a long-lived broker does not fill up."""
        from flowmetal.kafka import admin

        if not self.prefixes:
            return
        client = admin(Settings(bootstrap=self.bootstrap))
        try:
            names = [
                t
                for t in client.list_topics(timeout=10).topics
                if any(t.startswith(p) for p in self.prefixes)
            ]
            if names:
                for future in client.delete_topics(names, operation_timeout=30).values():
                    future.result(timeout=30)
        except Exception as exc:  # cleanup must never fail the session
            print(f"kafka fixture: could not delete test topics: {exc}")


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """The session's Kafka broker; see this module's docstring."""
    started = False
    bootstrap = os.environ.get("FLOWMETAL_BOOTSTRAP")
    if not bootstrap:
        bootstrap = DEFAULT_BOOTSTRAP
        if not _answers(bootstrap):
            done = subprocess.run(
                [str(BROKER_SCRIPT), "start"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=900,
            )
            if done.returncode != 0:
                pytest.fail(
                    f"could not start the Kafka broker with {BROKER_SCRIPT} start:\n"
                    f"{done.stdout}{done.stderr}\n"
                    "(run `pytest -m 'not kafka'` to skip the tests that need it)",
                    pytrace=False,
                )
            started = True
    broker = KafkaBroker(bootstrap, tmp_path_factory.mktemp("flowmetal-state"))
    try:
        yield broker
    finally:
        broker.delete_topics()
        if started:
            subprocess.run(
                [str(BROKER_SCRIPT), "stop"], stdin=subprocess.DEVNULL, timeout=120, check=False
            )


# -- the example programs and the stand-in job service (runner and CLI tests) ----------

EXAMPLES = ROOT / "examples"


@pytest.fixture
def free_port() -> int:
    """A TCP port nobody listens on right now (for a process's metrics or HTTP server)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def scrape() -> Callable[[int], dict[str, float]]:
    """`scrape(port)`: the samples of http://127.0.0.1:port/metrics, by `name{labels}`."""
    import httpx

    def read(port: int) -> dict[str, float]:
        page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        samples = {}
        for line in page.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                samples[name] = float(value)
        return samples

    return read


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The service's first stdout line, or a failure if it does not come in time."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    if not lines or not lines[0].startswith("listening on "):
        proc.kill()
        raise AssertionError(f"job service did not start: {lines!r}")
    return lines[0]


@pytest.fixture
def job_service() -> Iterator[Callable[..., str]]:
    """start(callback="yes", delay=0.3, fail_first=0) -> base URL of a fresh job service."""
    procs: list[subprocess.Popen[str]] = []

    def start(callback: str = "yes", delay: float = 0.3, fail_first: int = 0) -> str:
        cmd = [sys.executable, str(EXAMPLES / "job_service.py"), "--port", "0"]
        cmd += ["--callback", callback, "--delay", str(delay), "--fail-first", str(fail_first)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        return _first_line(proc, 20).split()[-1]

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
