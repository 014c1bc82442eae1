"""Syntax errors say what a Python user expects, at the right line and 1-based column."""

import pytest

from flowmetal.errors import FlowSyntaxError
from flowmetal.syntax import parse

# (source, message, line, column)
ERRORS = [
    ("x = )\n", "unmatched ')'", 1, 5),
    ("x = (1 + )\n", "invalid syntax: unexpected ')'", 1, 10),
    ("x = (]\n", "closing parenthesis ']' does not match opening parenthesis '('", 1, 6),
    ("x = 1 2\n", "invalid syntax: unexpected number 2", 1, 7),
    ("f(a b)\n", "invalid syntax: unexpected 'b'. Perhaps you forgot a comma?", 1, 5),
    ("x = [1, 2 3]\n", "invalid syntax: unexpected number 3. Perhaps you forgot a comma?", 1, 11),
    ("x = {'a': 1 'b': 2}\n", "invalid syntax: unexpected string literal. Perhaps", 1, 13),
    (
        "x = [a for a in b c]\n",
        "invalid syntax: unexpected 'c'. Perhaps you forgot a comma?",
        1,
        19,
    ),
    ("x = y z\n", "invalid syntax: unexpected 'z'", 1, 7),
    ("x = 1 'hello'\n", "invalid syntax: unexpected string literal", 1, 7),
    ("x = 1 +\n", "invalid syntax: unexpected end of line", 1, 8),
    ("else:\n    pass\n", "invalid syntax: unexpected 'else'", 1, 1),
    ("x = 1; if x: pass\n", "invalid syntax: unexpected 'if'", 1, 8),
    ("x = $\n", "invalid syntax: unexpected character '$'", 1, 5),
    ("x = é€\n", "invalid character '€' (U+20AC)", 1, 6),
    ("  x = 1\n", "unexpected indent", 1, 3),
    ("x = 1\n    y = 2\n", "unexpected indent", 2, 5),
    ("if x:\n    a\n  b\n", "unindent does not match any outer indentation level", 3, 1),
    ("if x:\npass\n", "expected an indented block after 'if' statement on line 1", 2, 1),
    ("if x:\n", "expected an indented block after 'if' statement on line 1", 1, 6),
    (
        "def f(a,\n      b):\nreturn a\n",
        "expected an indented block after function definition on line 1",
        3,
        1,
    ),
    (
        "for x in y:\n    pass\nelse:\nz\n",
        "expected an indented block after 'else' statement on line 3",
        4,
        1,
    ),
    (
        "try:\n    pass\nexcept E:\n# nothing\nx\n",
        "expected an indented block after 'except' statement on line 3",
        5,
        1,
    ),
    ("while x:\n\n", "expected an indented block after 'while' statement on line 1", 1, 9),
    (
        "if x:\n\tif y:\n\t\tpass\n        pass\n",
        "inconsistent use of tabs and spaces in indentation",
        4,
        1,
    ),
    ("if x:\n        a\n\tb\n", "inconsistent use of tabs and spaces in indentation", 3, 1),
    ('x = ur"a"\n', "invalid syntax: invalid string prefix", 1, 5),
    ("if x\n    pass\n", "expected ':'", 1, 5),
    ("if x pass\n", "expected ':'", 1, 6),
    ("for x in y print(x)\n", "expected ':'", 1, 12),
    ("if x = 1:\n    pass\n", "invalid syntax. Maybe you meant '==' instead of '='?", 1, 6),
    ("def f():\n    print 'x'\n", "Missing parentheses in call to 'print'", 2, 5),
    ("True = 1\n", "cannot assign to True", 1, 1),
    ("del None\n", "cannot delete None", 1, 5),
    ("def f()\n    pass\n", "expected ':'", 1, 8),
    ("x = 1 if y\n", "expected 'else' after 'if' expression", 1, 11),
    ("x = (1, 2\n", "unclosed '('", 1, 5),
    ("f(\n", "unclosed '('", 1, 2),
    ("x = {'a': [1,\n     2\n", "unclosed '['", 1, 11),
    ("x = [1,\ny = 3\n", "unclosed '['", 1, 5),
    ("x = foo(1,\ndef g():\n    pass\n", "unclosed '('", 1, 8),
    ("x = [1, 2]]\n", "unmatched ']'", 1, 11),
    (
        "x = (1, 2]\n",
        "closing parenthesis ']' does not match opening parenthesis '(' on line 1",
        1,
        10,
    ),
    ('x = "abc\n', "unterminated string literal (detected at line 1)", 1, 5),
    ("y = 1\nx = 'abc\n", "unterminated string literal (detected at line 2)", 2, 5),
    ('x = """abc\n\n', "unterminated triple-quoted string literal (detected at line 2)", 1, 5),
    (
        'def f():\n    """doc\n',
        "unterminated triple-quoted string literal (detected at line 2)",
        2,
        5,
    ),
    ("x = 1 \\ 2\n", "unexpected character after line continuation character", 1, 7),
    ("x = 08\n", "leading zeros in decimal integer literals are not permitted", 1, 5),
    ("x = 12abc\n", "invalid decimal literal", 1, 5),
    ('x = "\\x4"\n', "(unicode error) truncated \\xXX escape", 1, 6),
    ('x = "\\N{NO SUCH NAME}"\n', "(unicode error) unknown Unicode character name", 1, 6),
    ("1 = x\n", "cannot assign to literal", 1, 1),
    ("f() = 1\n", "cannot assign to function call", 1, 1),
    ("x, f() = 1, 2\n", "cannot assign to function call", 1, 4),
    ("x + 1 = 2\n", "cannot assign to expression", 1, 1),
    ("for 1 in x:\n    pass\n", "cannot assign to literal", 1, 5),
    ("with a as f():\n    pass\n", "cannot assign to function call", 1, 11),
    ("del f()\n", "cannot delete function call", 1, 5),
    ("(a, b) += 1\n", "'tuple' is an illegal expression for augmented assignment", 1, 1),
    ("*a = b\n", "starred assignment target must be in a list or tuple", 1, 1),
    ("a, *b, *c = d\n", "multiple starred expressions in assignment", 1, 8),
    ("x = *a\n", "cannot use starred expression here", 1, 5),
    ("[*a for a in b]\n", "iterable unpacking cannot be used in comprehension", 1, 2),
    ("f(a=1, b)\n", "positional argument follows keyword argument", 1, 8),
    ("f(**k, a)\n", "positional argument follows keyword argument unpacking", 1, 8),
    ("f(**k, *a)\n", "iterable argument unpacking follows keyword argument unpacking", 1, 8),
    ("f(a=1, b=2, a=3)\n", "keyword argument repeated: a", 1, 13),
    ("f(a.b=1)\n", 'expression cannot contain assignment, perhaps you meant "=="?', 1, 3),
    ("def f(a=1, b):\n    pass\n", "non-default argument follows default argument", 1, 12),
    ("def f(*, **k):\n    pass\n", "named arguments must follow bare *", 1, 7),
    ("def f(*a, *b):\n    pass\n", "* argument may appear only once", 1, 11),
    ("def f(**a, b):\n    pass\n", "arguments cannot follow var-keyword argument", 1, 12),
    ("def f(/, a):\n    pass\n", "at least one argument must precede /", 1, 7),
    ("def f(a, a):\n    pass\n", "duplicate argument 'a' in function definition", 1, 10),
    ("lambda a, a: 1\n", "duplicate argument 'a' in function definition", 1, 11),
    ("try:\n    pass\nx = 1\n", "expected 'except' or 'finally' block", 1, 1),
    ('x = f"{}"\n', "f-string: empty expression not allowed", 1, 7),
    ('x = f"{a!x}"\n', "f-string: invalid conversion character: expected 's', 'r', or 'a'", 1, 9),
    ('x = f"{a"\n', "f-string: expecting '}'", 1, 7),
    ('x = f"a}"\n', "f-string: single '}' is not allowed", 1, 8),
    ('x = f"{a b}"\n', "f-string: invalid syntax: unexpected 'b'", 1, 10),
    ('x = f"{a\\n}"\n', "f-string expression part cannot include a backslash", 1, 9),
    ('x = f"{a # no}"\n', "f-string expression part cannot include '#'", 1, 10),
    ('x = f"{a:{b:{c}}}"\n', "f-string: expressions nested too deeply", 1, 10),
]


@pytest.mark.parametrize(("source", "message", "line", "column"), ERRORS)
def test_friendly_error(source: str, message: str, line: int, column: int) -> None:
    with pytest.raises(FlowSyntaxError) as caught:
        parse(source, "bad.flow")
    err = caught.value
    assert err.message.startswith(message), err.message
    assert (err.line, err.column) == (line, column), str(err)
    lines = str(err).split("\n")
    assert lines[0] == f"bad.flow:{line}:{column}: {err.message}"
    source_lines = source.split("\n") + [""]
    assert lines[1] == "    " + source_lines[line - 1]
    assert lines[2] == "    " + " " * (column - 1) + "^"


def test_errors_never_leak_lark_exceptions() -> None:
    """Whatever the input, parse raises FlowSyntaxError or returns a module."""
    samples = ["(", ")", "[}", "def", "if", "lambda", "x =", "@", "'", '"""', "\t x", "f'{"]
    for source in samples:
        with pytest.raises(FlowSyntaxError):
            parse(source)


def test_error_column_counts_characters_not_bytes() -> None:
    with pytest.raises(FlowSyntaxError) as caught:
        parse("é = 'ü' )\n")
    assert caught.value.column == 9


def test_too_deep_nesting_is_a_syntax_error_at_its_statement() -> None:
    source = "x = 1\ny = " + " if a else ".join(["1"] * 600) + "\n"
    with pytest.raises(FlowSyntaxError) as caught:
        parse(source)
    assert caught.value.message.startswith("too deeply nested")
    assert (caught.value.line, caught.value.column) == (2, 1)
