"""The parse driver: source text in, Python `ast.Module` out, or a FlowSyntaxError.

Pipeline: normalize newlines → lark LALR parse of `file_input` with the
FlowIndenter post-lexer (flowmetal.lark) → `Builder` turns the tree into
`ast` nodes, refusing what Flowmetal does not support. f-string fields are
parsed on demand with the same parser (start rule `fstring_expr`).

The lark parser is made once, on first use (from precomputed tables, see
_grammar.py), and shared; a lock serializes its use because the post-lexer
keeps per-parse state.
"""

from __future__ import annotations

import ast
import threading

from lark import Lark, Tree
from lark.exceptions import UnexpectedInput

from flowmetal.errors import FlowSyntaxError
from flowmetal.syntax._build_stmt import Builder
from flowmetal.syntax._errors import friendly
from flowmetal.syntax._lexing import FlowIndenter, Positions, SourceError

_LOCK = threading.RLock()
_LARK: Lark | None = None
_INDENTER = FlowIndenter()


def _parser() -> Lark:
    global _LARK
    if _LARK is None:
        # Imported here so that `python -m flowmetal.syntax._grammar` runs it fresh.
        from flowmetal.syntax._grammar import build

        _LARK = build(_INDENTER)
    return _LARK


class _Source:
    """One parse: the text, its positions, and errors rendered against it."""

    def __init__(self, source: str, filename: str):
        text = source.replace("\r\n", "\n").replace("\r", "\n")
        if not text.endswith("\n"):
            text += "\n"
        self.text = text
        self.filename = filename
        self.positions = Positions(text)

    def error(self, message: str, offset: int) -> FlowSyntaxError:
        offset = min(max(offset, 0), len(self.text))
        line = self.positions.at(offset)[0]
        column = self.positions.char_column(offset)
        return FlowSyntaxError(message, self.filename, line, column, self.positions.line_text(line))

    def lark_tree(self, text: str, start: str, shift: int = 0) -> Tree:
        with _LOCK:
            try:
                return _parser().parse(text, start=start)
            except SourceError as err:  # from the indenter: relative to `text`
                raise self.error(err.message, err.pos + shift) from None
            except UnexpectedInput as err:
                message, offset = friendly(err, text, Positions(text), _INDENTER)
                if shift:  # an f-string field: keep Python's wording
                    message = "f-string: " + message
                raise self.error(message, offset + shift) from None

    def check_first_line(self) -> None:
        """lark's indenter only sees indentation after a newline: the first line needs us."""
        offset = 0
        for line in self.text.split("\n"):
            stripped = line.lstrip(" \t\f")
            if stripped and not stripped.startswith("#"):
                if stripped != line:
                    raise self.error("unexpected indent", offset + len(line) - len(stripped))
                return
            offset += len(line) + 1

    def fstring_field(self, expr_text: str, pos: int) -> ast.expr:
        """Parse an f-string field's expression found at source offset `pos`."""
        shift = pos - 1  # the "(" we add sits just before the expression
        tree = self.lark_tree("(" + expr_text + ")", "fstring_expr", shift)
        builder = Builder(self.positions, self.fstring_field, shift)
        child = tree.children[0]
        node = builder.unstarred(child)
        if isinstance(child, Tree) and child.data == "bare_tuple":
            # Python parses the field as "(expr)": a bare tuple spans the parentheses.
            builder.at(node, *builder.own(tree))
        return node

    def check_last_line(self) -> None:
        """A line continuation must continue onto something."""
        last = self.text.rstrip("\n").rsplit("\n", 1)[-1]
        if last.endswith("\\") and "#" not in last:
            raise self.error("unexpected end of file after line continuation", len(self.text) - 2)

    def parse(self) -> ast.Module:
        self.check_first_line()
        self.check_last_line()
        tree = self.lark_tree(self.text, "file_input")
        try:
            return Builder(self.positions, self.fstring_field).module(tree)
        except SourceError as err:
            raise self.error(err.message, err.pos) from None


def parse(source: str, filename: str = "<string>") -> ast.Module:
    """Parse Flowmetal source into a Python `ast.Module`, as `ast.parse` would shape it.

    Raises FlowSyntaxError (with file, 1-based line and column, and the
    source line) for invalid syntax and for Python features Flowmetal refuses.
    """
    return _Source(source, filename).parse()
