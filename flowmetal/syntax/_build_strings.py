"""From lark's tree to Python `ast` nodes: string literals and f-strings.

Adjacent literals are one node, as in Python: a `Constant` when none is an
f-string, else a `JoinedStr`. Positions follow Python 3.11's `ast` exactly,
quirks included: every part of a JoinedStr spans the whole literal, a format
spec spans its own string token, and field expressions keep their own spans
(they are parsed by `ExprBuilder.sub_parser`, at their offset in the source).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from flowmetal.syntax._fstrings import Field, Literal, scan_fstring
from flowmetal.syntax._lexing import decode_string_body

if TYPE_CHECKING:
    from flowmetal.syntax._build_expr import ExprBuilder


def build_strings(b: ExprBuilder, t: Any) -> ast.Constant | ast.JoinedStr:
    """The node for a `strings` tree: one or more adjacent STRING/LONG_STRING tokens."""
    start, end = b.own(t)
    pieces: list[Literal | Field] = []
    spans: list[tuple[int, int]] = []  # for each piece, its string token (for format specs)
    is_fstring = False
    kind = None
    for index, token in enumerate(t.children):
        prefix_len = 0
        while token.value[prefix_len] not in "'\"":
            prefix_len += 1
        prefix = token.value[:prefix_len].lower()
        quote_len = 3 if token.type == "LONG_STRING" else 1
        body = token.value[prefix_len + quote_len : len(token.value) - quote_len]
        body_pos = token.start_pos + prefix_len + quote_len + b.shift
        if "u" in prefix and len(prefix) > 1:
            b.refuse("invalid syntax: invalid string prefix", token.start_pos)
        if "b" in prefix:
            b.refuse("bytes literals are not supported in Flowmetal", token.start_pos)
        if index == 0 and "u" in prefix:
            kind = "u"
        if "f" in prefix:
            is_fstring = True
            fparts = scan_fstring(body, body_pos, raw="r" in prefix)
            pieces.extend(fparts)
            spans.extend([(token.start_pos, token.end_pos)] * len(fparts))
        else:
            pieces.append(Literal(body if "r" in prefix else decode_string_body(body, body_pos)))
            spans.append((token.start_pos, token.end_pos))
    if not is_fstring:
        value = "".join(p.text for p in pieces if isinstance(p, Literal))
        return b.at(ast.Constant(value=value, kind=kind), start, end)
    values = _joined_values(b, pieces, spans, (start, end), (start, end))
    return b.at(ast.JoinedStr(values=values), start, end)


def _joined_values(
    b: ExprBuilder,
    pieces: list[Any],
    spans: list[tuple[int, int]],
    whole: tuple[int, int],
    last: tuple[int, int],
) -> list[Any]:
    """JoinedStr values, adjacent literals merged.

    Python 3.11 places every part at the `whole` literal, except the text
    after the last field of a format spec, which gets the spec's token (`last`).
    """
    values: list[Any] = []
    text: list[str] = []

    def flush(span: tuple[int, int]) -> None:
        joined = "".join(text)
        if joined:
            values.append(b.at(ast.Constant(value=joined, kind=None), *span))
        text.clear()

    for piece, token_span in zip(pieces, spans, strict=True):
        if isinstance(piece, Literal):
            text.append(piece.text)
            continue
        if piece.debug_text is not None:  # f"{x=}" shows its own text first
            text.append(piece.debug_text)
        flush(whole)
        value = b.sub_parser(piece.expr_text, piece.expr_pos)
        spec = None
        if piece.spec is not None:
            spec_spans = [token_span] * len(piece.spec)
            spec_values = _joined_values(b, piece.spec, spec_spans, whole, token_span)
            spec = b.at(ast.JoinedStr(values=spec_values), *token_span)
        formatted = ast.FormattedValue(value=value, conversion=piece.conversion, format_spec=spec)
        values.append(b.at(formatted, *whole))
    flush(last)
    return values
