"""Crash-only exits: a fenced interpreter exits non-zero, a terminated one exits 0."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from interp_procs import Interpreters, push_source, wait_until

from flowmetal.interpreter.client import TaskClient

pytestmark = pytest.mark.kafka

ADD = """
def main(a, b):
    return a + b
"""


@pytest.fixture
def procs(kafka: Any, tmp_path: Path) -> Iterator[Interpreters]:
    group = Interpreters(kafka.settings("fencing", partitions=2), tmp_path)
    try:
        yield group
    finally:
        group.close()


def test_a_process_fenced_by_its_successor_exits_non_zero(procs: Interpreters) -> None:
    push_source(procs.settings, ADD, "add")
    # Same instance id, so the same transactional id: the second registration fences the first.
    old = procs.start("old", "--instance-id", "box-1")
    procs.wait_for_log("old", "pending timers")
    procs.start("new", "--instance-id", "box-1")
    procs.wait_for_log("new", "consuming")
    with TaskClient(procs.settings) as client:
        tasks = [client.start("add", [i, i])[0] for i in range(8)]  # work on every partition
        exit_code = wait_until(lambda: old.poll(), 60, "the fenced process to exit", procs)
        assert exit_code == 1
        assert "fatal" in procs.log("old")
        # The successor does all the work, exactly once.
        assert [client.wait(t, 60, 0).result_value for t in tasks] == [2 * i for i in range(8)]
    assert procs.stop("new") == 0
    assert "stopped cleanly" in procs.log("new")
