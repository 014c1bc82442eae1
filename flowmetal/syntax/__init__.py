"""Flowmetal's syntax: the parser from source text to a Python `ast.Module`.

Flowmetal's programs are a subset of Python, so the tree is Python's own
`ast` (positions included, exactly as `ast.parse` makes them), and the
compiler compiles a well-documented shape. The parser is ours (lark, LALR,
flowmetal.lark): it accepts only the subset and refuses the rest by name
(classes, generators, `global`, decorators, async, imports outside
`flow.*`, ...), raising `FlowSyntaxError` with file, line, column and a caret.

    from flowmetal.syntax import parse
    module = parse(source, "job.flow")
"""

from flowmetal.errors import FlowSyntaxError
from flowmetal.syntax._parser import parse

__all__ = ["FlowSyntaxError", "parse"]
