"""Python features Flowmetal refuses: each is refused by name, at its keyword."""

import pytest

from flowmetal.errors import FlowSyntaxError
from flowmetal.syntax import parse

ASYNC = "Flowmetal has no async def: any function may use await"
GENERATORS = "generators (yield) are not supported in Flowmetal"
IMPORTS = "only the flow.* standard modules can be imported"

# (source, start of the message, line, column): columns are 1-based.
REFUSALS = [
    ("class A:\n    pass\n", "classes are not supported in Flowmetal", 1, 1),
    ("x = 1\nclass A(B):\n    x = 1\n", "classes are not supported in Flowmetal", 2, 1),
    ("def f():\n    class A:\n        pass\n", "classes are not supported", 2, 5),
    ("def f():\n    yield 1\n", GENERATORS, 2, 5),
    ("def f():\n    yield\n", GENERATORS, 2, 5),
    ("def f():\n    x = yield 1\n", GENERATORS, 2, 9),
    ("def f():\n    yield from g()\n", GENERATORS, 2, 5),
    ("def f():\n    x = (yield)\n", GENERATORS, 2, 10),
    ("def f():\n    return [yield 1]\n", GENERATORS, 2, 13),
    ("f = lambda: (yield)\n", GENERATORS, 1, 14),
    ("global x\n", "global is not supported in Flowmetal", 1, 1),
    ("def f():\n    global x, y\n", "global is not supported in Flowmetal", 2, 5),
    ("@decorator\ndef f():\n    pass\n", "decorators are not supported in Flowmetal", 1, 1),
    ("@a.b(c)\n@d\ndef f():\n    pass\n", "decorators are not supported in Flowmetal", 1, 1),
    ("async def f():\n    pass\n", ASYNC, 1, 1),
    ("def f():\n    async for x in y:\n        pass\n", ASYNC, 2, 5),
    ("def f():\n    async with x:\n        pass\n", ASYNC, 2, 5),
    ("import os\n", IMPORTS, 1, 8),
    ("import flow.http, os.path\n", IMPORTS, 1, 19),
    ("import flow\n", IMPORTS, 1, 8),
    ("import flowmetal\n", IMPORTS, 1, 8),
    ("from os import path\n", IMPORTS, 1, 6),
    ("from os.path import join as j\n", IMPORTS, 1, 6),
    ("from . import x\n", IMPORTS, 1, 6),
    ("from ..flow import x\n", IMPORTS, 1, 6),
    ("from flow.http import *\n", "star imports (from ... import *) are not supported", 1, 23),
    (
        "match x:\n    case 1:\n        pass\n",
        "match statements are not supported in Flowmetal",
        1,
        1,
    ),
    ("def f(x):\n    match x:\n        case _:\n            pass\n", "match statements", 2, 5),
    ("if (n := 10) > 5:\n    pass\n", "assignment expressions (:=) are not supported", 1, 7),
    ("x = [y := 1, y]\n", "assignment expressions (:=) are not supported", 1, 8),
    ("try:\n    pass\nexcept* E:\n    pass\n", "except* (exception groups) is not supported", 3, 1),
    ("x: int = 1\n", "variable annotations are not supported in Flowmetal", 1, 2),
    ("x = b'abc'\n", "bytes literals are not supported in Flowmetal", 1, 5),
    ("x = 'a' b'abc'\n", "bytes literals are not supported in Flowmetal", 1, 9),
    ("x = 2j\n", "complex numbers are not supported in Flowmetal", 1, 5),
]


@pytest.mark.parametrize(("source", "message", "line", "column"), REFUSALS)
def test_refused_by_name_at_the_keyword(source: str, message: str, line: int, column: int) -> None:
    with pytest.raises(FlowSyntaxError) as caught:
        parse(source, "prog.flow")
    err = caught.value
    assert err.message.startswith(message)
    assert (err.filename, err.line, err.column) == ("prog.flow", line, column)
    assert str(err).startswith(f"prog.flow:{line}:{column}: {message}")
    assert str(err).endswith("\n    " + " " * (column - 1) + "^")


def test_global_message_says_what_to_do_instead() -> None:
    with pytest.raises(FlowSyntaxError) as caught:
        parse("global counter\n")
    assert "module-level dict" in caught.value.message
    assert "nonlocal" in caught.value.message


def test_refused_import_names_the_module() -> None:
    with pytest.raises(FlowSyntaxError, match="not 'os.path'"):
        parse("from os.path import join\n")


@pytest.mark.parametrize(
    "source",
    [
        "match = 1\n",
        "match(x)\n",
        "match.x = 1\n",
        "case = [match]\n",
        "async_ = 1\nawaited = 2\nclass_ = 3\n",
        "from flow.time import sleep as yield_\n",
        "def f():\n    return await g()\n",
    ],
)
def test_lookalikes_are_not_refused(source: str) -> None:
    assert parse(source).body
