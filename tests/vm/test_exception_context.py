"""__context__ when an exception is raised while another is handled (Python's rule)."""

from __future__ import annotations

import textwrap

import pytest

from flowmetal.compile.opcodes import BLOCK_EXCEPT_HANDLER
from flowmetal.vm.exceptions import new_exc
from flowmetal.vm.testing import Driver

WAITS_WHILE_HANDLING = textwrap.dedent(
    """
    from flow.task import receive

    def main():
        try:
            raise ValueError("handled")
        except ValueError:
            receive()
            raise KeyError("new")
    """
)


@pytest.mark.timeout(30)
def test_a_context_loop_from_an_old_snapshot_does_not_hang_the_next_raise() -> None:
    d = Driver(WAITS_WHILE_HANDLING)
    assert d.start().status == "waiting"
    # Snapshots written before Python's rule was followed may hold a loop of contexts.
    handled = next(
        block[3]
        for frame in d.task.vm.frames
        for block in frame.blocks
        if block[0] == BLOCK_EXCEPT_HANDLER
    )
    other = new_exc("RuntimeError", "older")
    handled.context, other.context = other, handled
    r = d.message("go")
    assert r.status == "failed" and r.error is not None
    assert r.error.type == "KeyError"
    assert "During handling of the above exception" in r.error.traceback
