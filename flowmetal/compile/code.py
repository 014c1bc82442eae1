"""Code objects and programs: what the compiler produces and the VM runs.

A `Code` is one function body (or the module body) as flat lists: opcodes,
their arguments, and the source position of each instruction. A `Program`
is every code object of one source file, module body first. Nothing here
refers to another code object by pointer: `MAKE_FUNCTION` names a code by
its index in `Program.codes`, which is what lets a snapshot store
"(code index, pc)" and find the code again from the program's source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flowmetal.compile.opcodes import OPNAMES


@dataclass
class Code:
    """One compiled function (or the module body)."""

    index: int
    name: str
    qualname: str
    filename: str
    firstlineno: int
    ops: list[int] = field(default_factory=list)
    args: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # source line of each instruction
    cols: list[int] = field(default_factory=list)  # 1-based column of each instruction
    consts: list[Any] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    varnames: list[str] = field(default_factory=list)  # parameters first, then other locals
    cellvars: list[str] = field(default_factory=list)
    freevars: list[str] = field(default_factory=list)
    # (varnames index, cell index): parameters that inner functions close over
    # are copied into their cell when the frame starts.
    cell_params: list[tuple[int, int]] = field(default_factory=list)
    argcount: int = 0  # positional parameters (positional-only included)
    posonlycount: int = 0
    kwonlycount: int = 0
    varargs: bool = False
    varkw: bool = False
    # Only positional parameters: a call with exactly that many arguments binds by slicing.
    plain_args: bool = False

    @property
    def nlocals(self) -> int:
        return len(self.varnames)

    @property
    def ncells(self) -> int:
        return len(self.cellvars) + len(self.freevars)

    def line_of(self, pc: int) -> int:
        """The source line of the instruction at `pc` (clamped to the code)."""
        if not self.lines:
            return self.firstlineno
        return self.lines[max(0, min(pc, len(self.lines) - 1))]

    def disassemble(self) -> str:
        """A human-readable listing, for debugging and tests."""
        out = [f"code {self.index} {self.qualname} (line {self.firstlineno})"]
        for pc, (op, arg) in enumerate(zip(self.ops, self.args, strict=True)):
            out.append(f"  {pc:4d} L{self.lines[pc]:<4d} {OPNAMES[op]:<22s} {arg}")
        return "\n".join(out)


@dataclass
class Program:
    """A compiled source file: `codes[0]` is the module body."""

    source: str
    filename: str
    version: str  # sha256 hex of `source`
    codes: list[Code]
    functions: list[str]  # top-level `def` names, in source order
    bytecode_version: int = 0

    def source_line(self, line: int) -> str:
        lines = self.source.splitlines()
        if 0 < line <= len(lines):
            return lines[line - 1]
        return ""
