"""Friendly syntax errors: lark's exceptions, said the way Python says them.

lark reports "Unexpected token Token('RPAR', ')')" and the set of terminals
it expected; a Python user expects "invalid syntax: unexpected ')'",
"unexpected indent", "expected ':'", "expected an indented block after 'if'
statement on line 3", "unclosed '('" or "unterminated string literal". This
module looks at the failing token, what the parser expected, the open
brackets and the source line to choose the message and where it points.
"""

from __future__ import annotations

import re

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from flowmetal.syntax._lexing import FlowIndenter, Positions

# The statements after whose header Python says "expected an indented block after ...".
_BLOCK_OWNERS = {
    "if": "'if' statement",
    "elif": "'elif' statement",
    "else": "'else' statement",
    "while": "'while' statement",
    "for": "'for' statement",
    "try": "'try' statement",
    "except": "'except' statement",
    "finally": "'finally' statement",
    "with": "'with' statement",
    "def": "function definition",
    "class": "class definition",
}
# Keywords that start a statement: met inside an open bracket, the bracket was never closed.
_STATEMENT_KEYWORDS = {
    "def", "if", "elif", "else", "while", "for", "try", "except", "finally", "with",
    "return", "pass", "break", "continue", "raise", "import", "from", "del", "assert",
    "nonlocal", "global", "class",
}  # fmt: skip
# Two expressions side by side inside brackets: most likely a missing comma.
_ATOM_STARTS = {
    "NAME", "STRING", "LONG_STRING", "DEC_NUMBER", "HEX_NUMBER", "OCT_NUMBER", "BIN_NUMBER",
    "FLOAT_NUMBER", "LPAR", "LSQB", "LBRACE", "NONE", "TRUE", "FALSE",
}  # fmt: skip
_ATOM_ENDS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'\")]}")
_LAYOUT = {"_NEWLINE": "end of line", "_INDENT": "indent", "_DEDENT": "dedent"}
_STRING_START = re.compile(r"([rRuUfFbB]{0,2})('''|\"\"\"|'|\")")
_ASSIGNMENT = re.compile(r"\s*[\w.]+(\[.*\])?\s*([-+*/%&|^@]|//|\*\*|<<|>>)?=(?!=)")
_NUMBER_BEFORE = re.compile(r"(?<![\w.])\.?\d[\w.]*\Z")
_HEADER = re.compile(r"\s*(if|elif|while|for|with|def|try|except|finally|else)\b")
_YIELD_BEFORE = re.compile(r"\byield\s*\Z")
_MATCH_STMT = re.compile(r"\s*match\b(?!\s*[=.(\[,)])")


def describe(token: Token) -> str:
    """How an unexpected token is named in a message."""
    if token.type in _LAYOUT:
        return _LAYOUT[token.type]
    if token.type in ("STRING", "LONG_STRING"):
        return "string literal"
    if token.type.endswith("_NUMBER"):
        return f"number {token.value}"
    return f"'{token.value}'"


def friendly(
    err: UnexpectedInput, text: str, positions: Positions, indenter: FlowIndenter
) -> tuple[str, int]:
    """The message and source offset for a lark error."""
    if isinstance(err, UnexpectedCharacters):
        return _bad_character(err.pos_in_stream or 0, text, positions)
    if isinstance(err, UnexpectedEOF):
        return _end_of_file(text, indenter)
    assert isinstance(err, UnexpectedToken)
    token: Token = err.token
    expected = _expected(err)
    if token.type == "$END":
        return _end_of_file(text, indenter, expected)
    start = token.start_pos or 0
    line = positions.line_text(token.line or 1)
    line_begin = start - positions.char_column(start) + 1 + len(line) - len(line.lstrip())
    if token.type == "_NEWLINE":
        # Point just after the line's last token, not at a comment after it.
        start = len(text[:start].rstrip(" \t\f"))

    # A construct Flowmetal refuses, that the grammar does not even parse.
    if token.value == ":" and text.startswith(":=", start):
        return "assignment expressions (:=) are not supported in Flowmetal", start
    if _MATCH_STMT.match(line) and line.rstrip().endswith(":"):
        return "match statements are not supported in Flowmetal", line_begin
    if token.value == "yield" or _YIELD_BEFORE.search(text, 0, start):
        at = start if token.value == "yield" else text.rindex("yield", 0, start)
        return "generators (yield) are not supported in Flowmetal", at

    # Brackets and blocks.
    opener = _unclosed(token, line, indenter)
    if opener is not None:
        return f"unclosed '{opener.value}'", opener.start_pos or 0
    if token.type == "_INDENT":
        return "unexpected indent", token.end_pos or start
    if "_INDENT" in expected:
        return _missing_block(token, text, indenter)
    if token.type == "_DEDENT":
        return "invalid syntax: unexpected dedent", token.end_pos or start

    # Python's hints for common slips.
    if token.value == "=" and re.match(r"\s*(if|elif|while)\b", line):
        return "invalid syntax. Maybe you meant '==' instead of '='?", start
    if "COLON" in expected and (token.type == "_NEWLINE" or _HEADER.match(line)):
        return "expected ':'", start
    if token.type == "_NEWLINE" and "ELSE" in expected:
        return "expected 'else' after 'if' expression", start
    if re.match(r"\s*print\s+[\w'\"]", line):
        return "Missing parentheses in call to 'print'. Did you mean print(...)?", line_begin
    number = _NUMBER_BEFORE.search(text, 0, start) if token.type == "NAME" else None
    if number is not None:
        return "invalid decimal literal", number.start()

    message = f"invalid syntax: unexpected {describe(token)}"
    before = text[:start].rstrip()
    if indenter.open_brackets and token.type in _ATOM_STARTS and before[-1:] in _ATOM_ENDS:
        message += ". Perhaps you forgot a comma?"
    return message, start


def _expected(err: UnexpectedToken) -> set[str]:
    """The terminals the parser could take in the state where it failed.

    Read from the parse table: lark's own `expected` can be partial (a lexer
    only reports what it can lex, never _INDENT).
    """
    state = err.state
    try:
        return set(state.parse_conf.parse_table.states[state.position])
    except AttributeError:
        return set(err.expected)


def _unclosed(token: Token, line: str, indenter: FlowIndenter) -> Token | None:
    """The bracket left open, if the failing line reads as a new statement."""
    if not indenter.open_brackets:
        return None
    opener = indenter.open_brackets[-1]
    if (opener.line or 0) >= (token.line or 0):
        return None
    words = line.split(None, 1)
    if words and words[0].rstrip(":") in _STATEMENT_KEYWORDS or _ASSIGNMENT.match(line):
        return opener
    return None


def _end_of_file(
    text: str, indenter: FlowIndenter, expected: set[str] | None = None
) -> tuple[str, int]:
    if indenter.open_brackets:
        opener = indenter.open_brackets[-1]
        return f"unclosed '{opener.value}'", opener.start_pos or 0
    if expected and "_INDENT" in expected:
        return _missing_block(None, text, indenter)
    return "unexpected end of file", len(text.rstrip())


def _missing_block(token: Token | None, text: str, indenter: FlowIndenter) -> tuple[str, int]:
    """Say which statement's block is missing, pointing where the block should start."""
    limit = len(text) if token is None else (token.start_pos or 0)
    heads = [t for t in indenter.line_heads if (t.start_pos or 0) < limit]
    owner = ""
    if heads:
        head = heads[-1]
        if head.type == "ASYNC" or head.value == "@":
            owner = ""
        elif head.value in _BLOCK_OWNERS:
            owner = f" after {_BLOCK_OWNERS[head.value]} on line {head.line}"
    if token is None:  # at the end of the file: point after the header, as Python does
        offset = len(text.rstrip())
    elif token.type in _LAYOUT:
        offset = token.end_pos or 0
    else:
        offset = token.start_pos or 0
    return f"expected an indented block{owner}", offset


def _bad_character(pos: int, text: str, positions: Positions) -> tuple[str, int]:
    char = text[pos] if pos < len(text) else ""
    string = _STRING_START.match(text, pos)
    if string:
        if len(string.group(2)) == 3:
            line = text.count("\n")  # Python detects it at the end of the file
            return f"unterminated triple-quoted string literal (detected at line {line})", pos
        line = positions.at(pos)[0]
        return f"unterminated string literal (detected at line {line})", pos
    if char == "\\":
        return "unexpected character after line continuation character", pos
    if char == "0" and text[pos + 1 : pos + 2].isdigit():
        return (
            "leading zeros in decimal integer literals are not permitted; "
            "use an 0o prefix for octal integers",
            pos,
        )
    if char.isprintable() and char.isascii():
        return f"invalid syntax: unexpected character '{char}'", pos
    return f"invalid character '{char}' (U+{ord(char):04X})", pos
