"""The compiler's assembler: emits instructions into one `Code`, with labels and constants.

Jump arguments are label numbers while a body is being compiled; `finish`
replaces them with instruction indexes. Constants are de-duplicated by type
and value (so `1`, `1.0` and `True` stay distinct), which keeps compiled code
identical for identical source.
"""

from __future__ import annotations

import ast
from typing import Any

from flowmetal.compile import opcodes as op
from flowmetal.compile.code import Code


def _const_key(value: Any) -> Any:
    if isinstance(value, tuple):
        return ("tuple", tuple(_const_key(v) for v in value))
    if isinstance(value, float):
        return ("float", repr(value))
    return (type(value).__name__, value)


class CodeBuilder:
    """Accumulates the instructions of one code object."""

    def __init__(self, code: Code) -> None:
        self.code = code
        self._labels: list[int] = []
        self._consts: dict[Any, int] = {}
        self._names: dict[str, int] = {}
        self.line = code.firstlineno
        self.col = 1

    def at(self, node: ast.AST) -> None:
        """Instructions emitted from now on belong to `node`'s source position."""
        line = getattr(node, "lineno", None)
        if line is not None:
            self.line = line
            self.col = getattr(node, "col_offset", 0) + 1

    def emit(self, opcode: int, arg: int = 0) -> int:
        self.code.ops.append(opcode)
        self.code.args.append(arg)
        self.code.lines.append(self.line)
        self.code.cols.append(self.col)
        return len(self.code.ops) - 1

    def label(self) -> int:
        self._labels.append(-1)
        return len(self._labels) - 1

    def mark(self, label: int) -> None:
        self._labels[label] = len(self.code.ops)

    def jump(self, opcode: int, label: int) -> None:
        self.emit(opcode, label)

    def const(self, value: Any) -> int:
        key = _const_key(value)
        if key not in self._consts:
            self._consts[key] = len(self.code.consts)
            self.code.consts.append(value)
        return self._consts[key]

    def load_const(self, value: Any) -> None:
        self.emit(op.LOAD_CONST, self.const(value))

    def name(self, name: str) -> int:
        if name not in self._names:
            self._names[name] = len(self.code.names)
            self.code.names.append(name)
        return self._names[name]

    def finish(self) -> Code:
        code = self.code
        for pc, opcode in enumerate(code.ops):
            if opcode in op.JUMP_OPS:
                target = self._labels[code.args[pc]]
                assert target >= 0, "unmarked label"
                code.args[pc] = target
        return code
