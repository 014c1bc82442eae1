"""The parser against CPython: for every snippet, `parse` must give what `ast.parse` gives.

The comparison includes every position (line, column, end line, end column):
the compiler's line tables and error messages depend on them.
"""

import ast
import sys
from pathlib import Path

import pytest
from syntax_snippets import SNIPPETS

from flowmetal.syntax import parse

DATA = Path(__file__).parent / "data"

# The parser produces Python 3.11's ast: later versions place f-string parts
# differently (PEP 701), so the comparison with `ast.parse` holds on 3.11 only.
pytestmark = pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="compares with 3.11's ast")


def dump(module: ast.Module) -> str:
    return ast.dump(module, include_attributes=True, indent=1)


def test_there_are_enough_distinct_snippets() -> None:
    assert len(set(SNIPPETS)) == len(SNIPPETS)
    assert len(SNIPPETS) >= 300


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # "\\d" in a snippet
@pytest.mark.parametrize("source", SNIPPETS, ids=[s.splitlines()[0][:40] for s in SNIPPETS])
def test_same_tree_as_cpython(source: str) -> None:
    assert dump(parse(source)) == dump(ast.parse(source))


@pytest.mark.parametrize("source", SNIPPETS[:40])
def test_same_tree_without_final_newline(source: str) -> None:
    source = source.rstrip("\n")
    assert dump(parse(source)) == dump(ast.parse(source))


@pytest.mark.parametrize("source", SNIPPETS[:40])
def test_same_tree_with_crlf_newlines(source: str) -> None:
    source = source.replace("\n", "\r\n")
    assert dump(parse(source)) == dump(ast.parse(source))


@pytest.mark.parametrize("path", sorted(DATA.glob("*.flow")), ids=lambda p: p.name)
def test_programs_parse_as_cpython_does(path: Path) -> None:
    source = path.read_text()
    assert dump(parse(source, str(path))) == dump(ast.parse(source))


def test_reliable_remote_job_shape() -> None:
    module = parse((DATA / "reliable_remote_job.flow").read_text(), "reliable_remote_job.flow")
    imports, func = module.body[:2], module.body[2]
    assert [node.module for node in imports] == ["flow.http", "flow.time"]  # type: ignore[attr-defined]
    assert isinstance(func, ast.FunctionDef)
    assert func.name == "reliable_remote_job"
    assert [a.arg for a in func.args.args][:3] == ["make_request", "job_from_response", "get_job"]
    awaits = [n for n in ast.walk(func) if isinstance(n, ast.Await)]
    assert len(awaits) == 1 and awaits[0].lineno == 13


def test_empty_and_blank_sources() -> None:
    for source in ["", "\n", "\n\n# only a comment\n", "   \n\t\n"]:
        assert dump(parse(source)) == dump(ast.parse(source))
