"""Lexical pieces of the parser: the indentation post-lexer, source positions, literals.

The grammar (flowmetal.lark) leaves three lexical jobs to Python code:

- `FlowIndenter` turns newlines into INDENT/DEDENT tokens (lark's Indenter),
  and keeps the stack of open brackets so that errors can name the bracket
  that was never closed, or the closing bracket that matches nothing.
- `Positions` turns lark's character offsets into what Python's `ast` uses:
  1-based lines and 0-based UTF-8 *byte* columns.
- `decode_string_body` and `number_value` compute literal values by hand:
  no `eval`, not even `ast.literal_eval`, touches user source.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterator

from lark import Token
from lark.indenter import PythonIndenter

OPENERS = {"LPAR": "(", "LSQB": "[", "LBRACE": "{"}
CLOSERS = {"RPAR": "(", "RSQB": "[", "RBRACE": "{"}


class SourceError(Exception):
    """An error at an offset in the source (lexing, building, or a refusal).

    `parse` turns it into a FlowSyntaxError with line, column and the source line.
    """

    def __init__(self, message: str, pos: int):
        super().__init__(message)
        self.message = message
        self.pos = pos


_TAB_ERROR = "inconsistent use of tabs and spaces in indentation"


def _columns(indent: str, tab_len: int) -> int:
    """The column an indentation reaches, a tab moving to the next multiple of tab_len."""
    column = 0
    for char in indent:
        column = (column // tab_len + 1) * tab_len if char == "\t" else column + 1
    return column


class FlowIndenter(PythonIndenter):
    """lark's Python indenter, plus a stack of the open brackets' tokens.

    lark's own class only counts brackets and asserts on a stray closer; we
    keep the tokens so that error messages can point at them.
    """

    def __init__(self) -> None:
        super().__init__()
        self.open_brackets: list[Token] = []
        # The first tokens of the latest logical lines, to name the statement
        # whose block is missing in "expected an indented block after ...".
        self.line_heads: list[Token] = []
        # Indentation measured with tabs of width 1 too: Python's check that
        # tabs and spaces are used consistently (else a TabError).
        self.alt_level = [0]

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        self.open_brackets = []
        self.line_heads = []
        self.paren_level = 0
        self.indent_level = [0]
        self.alt_level = [0]
        return self._process(stream)

    def handle_NL(self, token: Token) -> Iterator[Token]:  # noqa: N802 - lark's name
        if self.open_brackets:
            return
        yield token
        indent_str = token.rsplit("\n", 1)[1]
        start = (token.end_pos or 0) - len(indent_str)  # the line's first character
        measured = indent_str.rsplit("\f", 1)[-1]  # a form feed restarts the count, as in Python
        indent, alt = _columns(measured, self.tab_len), _columns(measured, 1)
        if indent > self.indent_level[-1]:
            if alt <= self.alt_level[-1]:
                raise SourceError(_TAB_ERROR, start)
            self.indent_level.append(indent)
            self.alt_level.append(alt)
            yield Token.new_borrow_pos(self.INDENT_type, indent_str, token)
            return
        while indent < self.indent_level[-1]:
            self.indent_level.pop()
            self.alt_level.pop()
            yield Token.new_borrow_pos(self.DEDENT_type, indent_str, token)
        if indent != self.indent_level[-1]:
            raise SourceError("unindent does not match any outer indentation level", start)
        if alt != self.alt_level[-1]:
            raise SourceError(_TAB_ERROR, start)

    def _process(self, stream: Iterator[Token]) -> Iterator[Token]:
        token = None
        at_line_start = True
        for token in stream:
            if token.type == self.NL_type:
                at_line_start = not self.open_brackets
                yield from self.handle_NL(token)
                continue
            if at_line_start:
                self.line_heads = [*self.line_heads[-2:], token]
                at_line_start = False
            if token.type in OPENERS:
                self.open_brackets.append(token)
            elif token.type in CLOSERS:
                if not self.open_brackets:
                    raise SourceError(f"unmatched '{token.value}'", token.start_pos or 0)
                opener = self.open_brackets.pop()
                if OPENERS[opener.type] != CLOSERS[token.type]:
                    raise SourceError(
                        f"closing parenthesis '{token.value}' does not match "
                        f"opening parenthesis '{opener.value}' on line {opener.line}",
                        token.start_pos or 0,
                    )
            self.paren_level = len(self.open_brackets)
            yield token
        while len(self.indent_level) > 1:
            self.indent_level.pop()
            if token is not None:
                yield Token.new_borrow_pos(self.DEDENT_type, "", token)
            else:
                yield Token(self.DEDENT_type, "", 0, 1, 1, 1, 1, 0)


class Positions:
    """Maps character offsets in the source to (line, UTF-8 byte column), as `ast` counts."""

    def __init__(self, source: str):
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.ascii = source.isascii()

    def at(self, offset: int) -> tuple[int, int]:
        """The 1-based line and 0-based byte column of a character offset."""
        line = bisect.bisect_right(self.line_starts, offset) - 1
        start = self.line_starts[line]
        if self.ascii:
            return line + 1, offset - start
        return line + 1, len(self.source[start:offset].encode("utf-8"))

    def char_column(self, offset: int) -> int:
        """The 1-based character column of an offset, for error messages."""
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return offset - self.line_starts[line] + 1

    def line_text(self, lineno: int) -> str:
        """The text of a 1-based line, without its newline."""
        if lineno - 1 >= len(self.line_starts):
            return ""
        start = self.line_starts[lineno - 1]
        end = self.source.find("\n", start)
        return self.source[start:] if end < 0 else self.source[start:end]


_SIMPLE_ESCAPES = {
    "\n": "",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def decode_string_body(body: str, pos: int) -> str:
    """The value of a (non-raw) string literal's body: its backslash escapes resolved.

    `pos` is the body's offset in the source, to place errors.
    """
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    n = len(body)
    while i < n:
        char = body[i]
        if char != "\\" or i + 1 >= n:
            out.append(char)
            i += 1
            continue
        esc = body[i + 1]
        if esc in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[esc])
            i += 2
        elif esc in "01234567":
            j = i + 1
            while j < n and j < i + 4 and body[j] in "01234567":
                j += 1
            out.append(chr(int(body[i + 1 : j], 8)))
            i = j
        elif esc in _HEX_ESCAPES:
            width = _HEX_ESCAPES[esc]
            digits = body[i + 2 : i + 2 + width]
            if len(digits) != width or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise SourceError(f"(unicode error) truncated \\{esc}{'X' * width} escape", pos + i)
            code = int(digits, 16)
            if code > 0x10FFFF:
                raise SourceError("(unicode error) illegal Unicode character", pos + i)
            out.append(chr(code))
            i += 2 + width
        elif esc == "N":
            if not body.startswith("{", i + 2) or "}" not in body[i + 3 :]:
                raise SourceError("(unicode error) malformed \\N character escape", pos + i)
            end = body.index("}", i + 3)
            try:
                out.append(unicodedata.lookup(body[i + 3 : end]))
            except KeyError:
                raise SourceError(
                    "(unicode error) unknown Unicode character name", pos + i
                ) from None
            i = end + 1
        else:
            # Python keeps an unknown escape as it is (and warns).
            out.append("\\")
            i += 1
    return "".join(out)


def number_value(token: Token) -> int | float:
    """The value of a DEC/HEX/OCT/BIN/FLOAT number token."""
    text = token.value.replace("_", "")
    if token.type == "DEC_NUMBER":
        return int(text)
    if token.type in ("HEX_NUMBER", "OCT_NUMBER", "BIN_NUMBER"):
        return int(text, 0)
    return float(text)
