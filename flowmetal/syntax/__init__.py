"""Flowmetal's syntax: the parser from source text to a Python `ast.Module`.

Flowmetal's programs are a subset of Python, so the tree is Python's own
`ast`, exactly as Python 3.11's `ast.parse` makes it for the same source,
positions included (line, UTF-8 byte column, end line, end column): the
compiler compiles a well-documented shape. The parser is ours (lark, LALR,
flowmetal.lark), so it accepts only the subset:

    statements  def (defaults, *args, keyword-only, **kwargs, `/`), return,
                pass, if/elif/else, while/else, for/else, break, continue,
                try/except/else/finally, raise [from], with [as], assert,
                assignments (chained, unpacking, starred, augmented), del,
                nonlocal, `import flow.x [as y]`, `from flow.x import a [as b]`
    expressions Python's operators and precedence, lambda, conditional
                expressions, calls (*args, **kwargs, keywords), attributes,
                subscripts and slices, list/dict/set/tuple displays,
                comprehensions and generator expressions, await, strings
                (implicit concatenation, raw, f-strings), numbers, True/False/None, ...

and refuses the rest by name, at its keyword: classes, generators (yield),
`global`, decorators, async def/for/with, imports outside `flow.*`, star
imports, `match`, `:=`, `except*`, variable annotations, bytes and complex
literals. Every error is a `FlowSyntaxError` whose str() is
`file:line:col: message`, the source line and a caret; messages read like
Python's ("unexpected indent", "expected ':'", "unclosed '('", ...).

Parameter and return annotations are accepted and left in the tree.

    from flowmetal.syntax import parse
    module = parse(source, "job.flow")
"""

from flowmetal.errors import FlowSyntaxError
from flowmetal.syntax._parser import parse

__all__ = ["FlowSyntaxError", "parse"]
