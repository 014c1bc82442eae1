"""Splitting an f-string's body into literal text and replacement fields.

The lexer keeps an f-string as one STRING token, as Python 3.11's tokenizer
does; this module scans its body the way CPython 3.11's string_parser.c does:
`{{` and `}}` are braces, `{expr=!r:spec}` is a field whose expression text is
handed back with its offset in the source (the builder parses it with the
same grammar), and the format spec may itself hold fields (`{x:{width}}`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flowmetal.syntax._lexing import SourceError, decode_string_body


@dataclass
class Field:
    """One `{...}` replacement field."""

    expr_text: str
    expr_pos: int  # offset of expr_text in the source
    conversion: int  # -1, or ord('s'), ord('r'), ord('a')
    spec: list[Literal | Field] | None
    debug_text: str | None = None  # the `expr=` text of a self-documenting field


@dataclass
class Literal:
    """Decoded literal text between fields."""

    text: str


@dataclass
class _Scanner:
    body: str
    pos: int  # offset of body in the source
    raw: bool
    i: int = 0
    parts: list[Literal | Field] = field(default_factory=list)

    def fail(self, message: str, at: int | None = None) -> SourceError:
        return SourceError(message, self.pos + (self.i if at is None else at))


def scan_fstring(body: str, pos: int, raw: bool) -> list[Literal | Field]:
    """The literal parts and fields of an f-string body starting at source offset `pos`."""
    scanner = _Scanner(body, pos, raw)
    parts = _scan_parts(scanner, in_spec=False)
    if scanner.i < len(body):  # only a spec stops early, at its closing '}'
        raise scanner.fail("f-string: single '}' is not allowed")
    return parts


def _scan_parts(s: _Scanner, in_spec: bool) -> list[Literal | Field]:
    parts: list[Literal | Field] = []
    literal: list[str] = []
    chunk_start = s.i

    def flush_chunk(end: int) -> None:
        text = s.body[chunk_start:end]
        if text:
            literal.append(text if s.raw else decode_string_body(text, s.pos + chunk_start))

    body = s.body
    while s.i < len(body):
        char = body[s.i]
        if char == "\\" and not s.raw and body.startswith("N{", s.i + 1):
            close = body.find("}", s.i)
            s.i = len(body) if close < 0 else close + 1
            continue
        if char == "\\":
            # A backslash does not escape a brace; it only hides another backslash.
            s.i += 2 if body.startswith("\\", s.i + 1) else 1
            continue
        if char == "{":
            if not in_spec and body.startswith("{{", s.i):
                flush_chunk(s.i + 1)
                s.i += 2
                chunk_start = s.i
                continue
            flush_chunk(s.i)
            if literal:
                parts.append(Literal("".join(literal)))
                literal = []
            s.i += 1
            parts.append(_scan_field(s, in_spec))
            chunk_start = s.i
            continue
        if char == "}":
            if in_spec:
                break
            if body.startswith("}}", s.i):
                flush_chunk(s.i + 1)
                s.i += 2
                chunk_start = s.i
                continue
            raise s.fail("f-string: single '}' is not allowed")
        s.i += 1
    flush_chunk(s.i)
    if literal:
        parts.append(Literal("".join(literal)))
    return parts


def _scan_field(s: _Scanner, in_spec: bool) -> Field:
    """Scan from just after a field's '{' to just after its '}'."""
    body = s.body
    start = s.i
    depth = 0
    quote = ""
    while s.i < len(body):
        char = body[s.i]
        if char == "\\":
            raise s.fail("f-string expression part cannot include a backslash")
        if quote:
            if body.startswith(quote, s.i):
                s.i += len(quote)
                quote = ""
            else:
                s.i += 1
            continue
        if char == "#":
            raise s.fail("f-string expression part cannot include '#'")
        if char in "'\"":
            quote = char * 3 if body.startswith(char * 3, s.i) else char
            s.i += len(quote)
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0 and char == "}":
                break
            depth -= 1
            if depth < 0:
                raise s.fail(f"f-string: unmatched '{char}'")
        elif depth == 0:
            two = body[s.i : s.i + 2]
            if char == "!" and two != "!=":
                break
            if char == ":":
                break
            if char == "=" and two != "==" and body[s.i - 1] not in "=!<>":
                break
        s.i += 1
    if s.i >= len(body):
        raise s.fail("f-string: expecting '}'", start - 1)
    expr_text = body[start : s.i]
    if not expr_text.strip():
        raise s.fail("f-string: empty expression not allowed", start - 1)
    debug_text = None
    if body[s.i] == "=":
        s.i += 1
        while s.i < len(body) and body[s.i] in " \t\n":
            s.i += 1
        debug_text = body[start : s.i]
    conversion = -1
    if s.i < len(body) and body[s.i] == "!":
        conv = body[s.i + 1 : s.i + 2]
        if conv not in ("s", "r", "a"):
            raise s.fail("f-string: invalid conversion character: expected 's', 'r', or 'a'")
        conversion = ord(conv)
        s.i += 2
    spec = None
    if s.i < len(body) and body[s.i] == ":":
        if in_spec:
            raise s.fail("f-string: expressions nested too deeply", start - 1)
        s.i += 1
        spec = _scan_parts(s, in_spec=True)
    if s.i >= len(body) or body[s.i] != "}":
        raise s.fail("f-string: expecting '}'", start - 1)
    s.i += 1
    if debug_text is not None and conversion == -1 and spec is None:
        conversion = ord("r")
    return Field(expr_text, s.pos + start, conversion, spec, debug_text)
