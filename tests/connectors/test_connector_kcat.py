"""kcat (Debian's, a librdkafka client with no Flowmetal code) as a task's connector: the
walk-through at the end of docs/connectors.md, run as written against a real interpreter.

kcat reads the request from the outbox and produces the response bytes the doc shows,
with the kind header and the murmur2 partitioner; the task ends with the doc's result.
`.ci/run` installs kcat when it is missing; elsewhere the test is skipped without it,
except under CI, where a missing kcat is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from connector_helpers import start_process
from test_connector_docs import _hex_blocks

from flowmetal import wire
from flowmetal.interpreter.client import TaskClient
from flowmetal.kafka import partition_for
from flowmetal.programs import push

pytestmark = pytest.mark.kafka

ECHOER = 'from flow.connector import call\n\ndef main():\n    return call("echo", {"n": 1})\n'


@pytest.fixture
def kcat() -> str:
    found = shutil.which("kcat")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("kcat is not installed (.ci/run installs it)")
        pytest.skip("kcat is not installed (apt-get install kcat)")
    return found


def _kcat(kcat: str, *args: str) -> bytes:
    done = subprocess.run([kcat, *args], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def test_kcat_answers_a_request_with_the_documented_bytes(
    kafka: Any, kcat: str, processes: list[Any], tmp_path: Path
) -> None:
    settings = kafka.settings("kcat")
    outbox, inbox = settings.topic("outbox"), settings.topic("inbox")
    push(settings, ECHOER, "echoer.flow", "echoer")
    interpreter = start_process(
        settings,
        ["interpreter", "--instance-id", "kcat"],
        tmp_path / "interpreter.log",
        FLOWMETAL_STATE_DIR=str(tmp_path / "state"),
    )
    processes.append(interpreter)
    with TaskClient(settings) as client:
        client.start("echoer", [], task_id="t-1")
        partition = partition_for("t-1", settings.partitions)

        # Look at the outbox without decoding (the doc's first command); wait for the request.
        seen, deadline = b"", time.monotonic() + 60
        while not seen and time.monotonic() < deadline:
            time.sleep(0.2)
            seen = _kcat(
                kcat, "-b", settings.bootstrap, "-C", "-t", outbox, "-o", "beginning", "-e",
                "-q", "-f", "partition %p offset %o key %k kind %h\\n",
            )  # fmt: skip
        assert seen.decode() == f"partition {partition} offset 0 key t-1 kind flowmetal-kind=echo\n"

        # One request's bytes: exactly the doc's worked request.
        request_bytes, response_bytes = _hex_blocks()
        raw = _kcat(
            kcat, "-b", settings.bootstrap, "-C", "-t", outbox, "-p", str(partition),
            "-o", "0", "-c", "1", "-e", "-q", "-f", "%s",
        )  # fmt: skip
        assert raw == request_bytes
        assert wire.decode_request(raw).id == "t-1.1"

        # Answer it: the doc's response bytes, from a file (kcat sends a file whole; from
        # stdin it would split at newline bytes), keyed and partitioned as the doc says.
        response = tmp_path / "response.bin"
        response.write_bytes(response_bytes)
        _kcat(
            kcat, "-b", settings.bootstrap, "-P", "-t", inbox, "-k", "t-1",
            "-H", "flowmetal-kind=response", "-X", "partitioner=murmur2_random", str(response),
        )  # fmt: skip
        state = client.wait("t-1", 60, 0)
    assert (state.status, state.result_value) == ("done", {"n": 1}), (
        tmp_path / "interpreter.log"
    ).read_text()[-3000:]
