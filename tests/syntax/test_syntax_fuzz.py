"""Mutated snippets: parse never fails with anything but FlowSyntaxError, and what it
accepts, it accepts exactly as CPython does (same tree, same positions).

The mutations are seeded, so a failure reproduces; the print of the source
that failed is in the assertion message.
"""

import ast
import random
import sys
import warnings

import pytest
from syntax_snippets import SNIPPETS

from flowmetal.errors import FlowSyntaxError
from flowmetal.syntax import parse

pytestmark = pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="compares with 3.11's ast")

PIECES = list("()[]{}:,.=+-*/'\"\\ \n\tabx01#!@%&|^~<>;") + [
    "if ", "else ", "for ", " in ", "lambda ", "not ", "yield ", "await ", "def ",
    "return ", "    ", "\n    ", "f'", "{", "}", "**", "*", ":=", "class ", "global ",
]  # fmt: skip


def mutate(rng: random.Random, source: str) -> str:
    for _ in range(rng.randint(1, 3)):
        k = rng.randrange(len(source) + 1)
        choice = rng.random()
        if choice < 0.4:
            source = source[:k] + source[k + 1 :]
        elif choice < 0.8:
            source = source[:k] + rng.choice(PIECES) + source[k:]
        else:
            j = rng.randrange(len(source) + 1)
            source = source[:k] + source[j : j + 5] + source[k:]
    return source


def cpython(source: str) -> ast.Module | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(source)
        except (SyntaxError, ValueError):
            return None


@pytest.mark.parametrize("seed", range(8))
def test_mutated_snippets(seed: int) -> None:
    rng = random.Random(seed)
    accepted = 0
    for _ in range(150):
        source = mutate(rng, rng.choice(SNIPPETS))
        try:
            ours = parse(source)
        except FlowSyntaxError as err:
            assert err.line >= 1 and err.column >= 1, repr(source)
            continue
        theirs = cpython(source)
        assert theirs is not None, f"accepted what Python rejects: {source!r}"
        dumped = ast.dump(ours, include_attributes=True)
        assert dumped == ast.dump(theirs, include_attributes=True), repr(source)
        accepted += 1
    assert accepted > 10  # the mutations leave enough valid programs to compare
