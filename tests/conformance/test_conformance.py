"""Differential conformance: each program runs in CPython and in Flowmetal and must agree.

byterun-style: every file in programs/ is valid Python and valid Flowmetal
with a `main()`. CPython imports it and calls main(); Flowmetal runs the
same source through `flowmetal.vm.run_value` (run_pure, keeping the raw value). The results must be equal
(after turning tuples into lists, since a tuple crossing the Flowmetal
boundary may come back as a list), or both runs must raise the same
exception type with the same message.

errors/*.flow hold starlark-style chunks separated by a line `---`; each
chunk must fail at the line marked `### Type "substring"` (syntax errors
at compile time, the rest when main() runs).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
PROGRAMS = sorted((HERE / "programs").glob("*.py"))
ERROR_FILES = sorted((HERE / "errors").glob("*.flow"))


def normalise(value: Any) -> Any:
    """Tuples become lists (recursively) so both sides compare by content."""
    if isinstance(value, tuple | list):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    return value


def run_cpython(path: Path) -> tuple[Any, ...]:
    spec = importlib.util.spec_from_file_location(f"conformance_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        return ("ok", normalise(module.main()))
    except Exception as exc:  # the program's own error, compared with Flowmetal's
        return ("raise", type(exc).__name__, str(exc))


def run_flowmetal(source: str, filename: str) -> tuple[Any, ...]:
    """("ok", value) or ("raise", type name, message, line) from running main() in the VM."""
    from flowmetal.vm import ProgramFailed, run_value
    from flowmetal.vm.exceptions import exc_str

    try:
        return ("ok", normalise(run_value(source, filename)))
    except ProgramFailed as failed:
        exc = failed.exc
        line = exc.traceback[-1][1] if exc.traceback else None
        return ("raise", exc.type.name, exc_str(exc), line)


@pytest.mark.parametrize("path", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_program_matches_cpython(path: Path) -> None:
    expected = run_cpython(path)
    got = run_flowmetal(path.read_text(), path.name)
    assert got[:3] == expected


def test_the_corpus_is_big_enough() -> None:
    assert len(PROGRAMS) >= 60


# --- error chunks ----------------------------------------------------------------

_MARK = re.compile(r'###\s*(?P<type>[A-Za-z]+)?\s*(?:"(?P<msg>.*)")?\s*$')


def chunks() -> list[tuple[str, int, str, int, str, str]]:
    """(file name, chunk number, source, expected line, expected type, expected substring)."""
    out = []
    for path in ERROR_FILES:
        text = path.read_text()
        parts = re.split(r"^---[ \t]*\n", text, flags=re.MULTILINE)
        for n, chunk in enumerate(parts, 1):
            marks = [
                (i, _MARK.search(line))
                for i, line in enumerate(chunk.splitlines(), 1)
                if "###" in line
            ]
            assert len(marks) == 1, f"{path.name} chunk {n} needs exactly one ### mark"
            line_no, m = marks[0]
            assert m is not None, f"{path.name} chunk {n}: bad mark"
            out.append((path.name, n, chunk, line_no, m["type"] or "", m["msg"] or ""))
    return out


CHUNKS = chunks()


@pytest.mark.parametrize(
    "name,n,source,line,etype,msg", CHUNKS, ids=[f"{c[0]}-{c[1]}" for c in CHUNKS]
)
def test_error_chunk(name: str, n: int, source: str, line: int, etype: str, msg: str) -> None:
    from flowmetal.compile import compile_program
    from flowmetal.errors import FlowSyntaxError

    filename = f"{name}#{n}"
    if etype == "SyntaxError":
        with pytest.raises(FlowSyntaxError) as info:
            compile_program(source, filename)
        err = info.value
        assert err.line == line, str(err)
        assert err.column >= 1
        assert msg in err.message, str(err)
        assert str(err).startswith(f"{filename}:{line}:{err.column}:")
        return
    got = run_flowmetal(source, filename)
    assert got[0] == "raise", f"expected {etype} at line {line}, got {got}"
    _, got_type, got_msg, got_line = got
    if etype:
        assert got_type == etype, got
    assert msg in got_msg, got
    assert got_line == line, got
