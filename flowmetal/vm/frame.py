"""A Flowmetal call frame, as plain data.

The VM keeps frames in an explicit list (never as Python recursion), so a
task's whole execution state is this list: which code, where in it, the
local variables, the cells, the operand stack, and the block stack of
open exception handlers. A block is a tuple

    (kind, handler pc, stack depth, exception)

with kind BLOCK_EXCEPT / BLOCK_FINALLY (a protected region: on an exception
the stack is cut back to `depth`, the exception pushed, and execution goes
to `handler`) or BLOCK_EXCEPT_HANDLER (an except body is running for
`exception`, which bare `raise` re-raises).
"""

from __future__ import annotations

from typing import Any

from flowmetal.compile.code import Code
from flowmetal.vm.objects import UNBOUND, Cell, Function

Block = tuple[int, int, int, Any]


class Frame:
    __slots__ = (
        "code",
        "ops",
        "args",
        "pc",
        "locals",
        "cells",
        "stack",
        "blocks",
        "retval",
        "function",
    )

    def __init__(self, code: Code, function: Function | None) -> None:
        self.code = code
        self.ops = code.ops  # cached for the dispatch loop
        self.args = code.args
        self.pc = 0
        self.locals: list[Any] = [UNBOUND] * len(code.varnames)
        self.cells: list[Cell] = []
        self.stack: list[Any] = []
        self.blocks: list[Block] = []
        self.retval: Any = None
        self.function = function

    def line(self) -> int:
        """The line of the instruction this frame is executing (or last executed)."""
        return self.code.line_of(self.pc - 1 if self.pc > 0 else 0)
