"""The resolver and compiler: scopes, code objects, determinism, refusals with positions."""

from __future__ import annotations

import ast
import textwrap

import pytest

from flowmetal.compile import BYTECODE_VERSION, compile_module, compile_program
from flowmetal.compile import opcodes as op
from flowmetal.compile.resolve import resolve
from flowmetal.errors import CompileError, FlowSyntaxError


def scopes_of(source: str) -> dict[str, object]:
    source = textwrap.dedent(source)
    module = ast.parse(source)
    by_id = resolve(module, "t.flow", source)
    return {s.name: s for s in by_id.values()}


def test_assigned_anywhere_is_local_and_captured_is_a_cell() -> None:
    s = scopes_of(
        """
        def f(a):
            def g():
                return a + b
            b = 1
            c = 2
            return g
        """
    )
    f, g = s["f"], s["g"]
    assert f.cellvars == ["a", "b"]  # type: ignore[attr-defined]
    assert g.freevars == ["a", "b"]  # type: ignore[attr-defined]
    assert f.lookup("c") == ("fast", f.varnames.index("c"))  # type: ignore[attr-defined]
    assert g.lookup("a")[0] == "deref"  # type: ignore[attr-defined]
    assert g.lookup("len") == ("global", "len")  # type: ignore[attr-defined]


def test_free_variables_pass_through_intermediate_scopes() -> None:
    s = scopes_of(
        """
        def outer():
            x = 1
            def middle():
                def inner():
                    return x
                return inner
            return middle
        """
    )
    assert s["middle"].freevars == ["x"]  # type: ignore[attr-defined]
    assert s["inner"].freevars == ["x"]  # type: ignore[attr-defined]
    assert s["outer"].cellvars == ["x"]  # type: ignore[attr-defined]


def test_comprehensions_are_their_own_scope() -> None:
    s = scopes_of(
        """
        def f(n):
            return [i * n for i in range(n)]
        """
    )
    comp = s["<listcomp>"]
    assert comp.lookup("i")[0] == "fast"  # type: ignore[attr-defined]
    assert comp.freevars == ["n"]  # type: ignore[attr-defined]
    assert "i" not in s["f"].varnames  # type: ignore[attr-defined]


def test_global_and_nonlocal_declarations() -> None:
    s = scopes_of(
        """
        x = 0
        def f():
            global x
            x = 1
        def g():
            y = 0
            def h():
                nonlocal y
                y += 1
            return h
        """
    )
    assert s["f"].lookup("x") == ("global", "x")  # type: ignore[attr-defined]
    assert s["h"].lookup("y")[0] == "deref"  # type: ignore[attr-defined]
    assert s["g"].cellvars == ["y"]  # type: ignore[attr-defined]


def test_global_statement_compiles_to_global_stores() -> None:
    """The parser refuses `global`, but the compiler supports it for the AST it is given."""
    source = "x = 0\ndef f():\n    global x\n    x = 5\n"
    program = compile_module(ast.parse(source), source, "t.flow")
    f = program.codes[1]
    assert op.STORE_GLOBAL in f.ops
    assert op.STORE_FAST not in f.ops


def test_nonlocal_of_unknown_name_is_a_compile_error() -> None:
    source = "def f():\n    def g():\n        nonlocal zz\n    return g\n"
    with pytest.raises(CompileError) as info:
        compile_module(ast.parse(source), source, "t.flow")
    assert info.value.line == 3
    assert "zz" in info.value.message


@pytest.mark.parametrize(
    "source,line,message",
    [
        ("def f():\n    pass\nreturn 1\n", 3, "'return' outside function"),
        ("def f():\n    break\n", 2, "'break' outside loop"),
        ("def f():\n    x.y = 1\n", 2, "attributes"),
        ("import os\n", 1, "no module named 'os'"),
        ("from flow.time import slep\n", 1, "cannot import name 'slep'"),
        ("def f():\n    return b'x'\n", 2, "bytes literals"),
        ("@dec\ndef f():\n    pass\n", 1, "decorators"),
        ("def f():\n    return [(y := 1)]\n", 2, ":="),
    ],
)
def test_unsupported_constructs_are_compile_errors_with_positions(
    source: str, line: int, message: str
) -> None:
    with pytest.raises(CompileError) as info:
        compile_module(ast.parse(source), source, "bad.flow")
    err = info.value
    assert err.line == line
    assert err.column >= 1
    assert message in err.message
    assert str(err).startswith(f"bad.flow:{line}:")


def test_compile_program_refuses_through_the_real_parser_too() -> None:
    with pytest.raises(FlowSyntaxError) as info:  # the parser or the compiler, with a position
        compile_program("import os\n", "bad.flow")
    assert info.value.line == 1 and "os" in info.value.message


def test_program_fields_and_determinism() -> None:
    source = textwrap.dedent(
        """
        from flow.time import sleep
        def helper(x, y=2, *a, k, **kw):
            return [x * y for _ in range(3)]
        def main():
            f = lambda z: z + 1
            return f(helper(1, k=3))
        """
    )
    a = compile_program(source, "p.flow")
    b = compile_program(source, "p.flow")
    assert a.functions == ["helper", "main"]
    assert a.version == __import__("hashlib").sha256(source.encode()).hexdigest()
    assert a.bytecode_version == BYTECODE_VERSION
    assert [c.ops for c in a.codes] == [c.ops for c in b.codes]
    assert [c.args for c in a.codes] == [c.args for c in b.codes]
    assert [c.consts for c in a.codes] == [c.consts for c in b.codes]
    assert a.codes[0].name == "<module>"
    helper = next(c for c in a.codes if c.name == "helper")
    assert (helper.argcount, helper.kwonlycount, helper.varargs, helper.varkw) == (2, 1, True, True)
    assert helper.varnames[:5] == ["x", "y", "a", "k", "kw"]


def test_constants_are_plain_values_and_code_is_referred_to_by_index() -> None:
    program = compile_program(
        "def main():\n    g = lambda: (1, 'a', None, 2.5)\n    return g\n", "p.flow"
    )
    for code in program.codes:
        for const in code.consts:
            assert const is None or isinstance(const, bool | int | float | str | tuple)
        for opcode, arg in zip(code.ops, code.args, strict=True):
            if opcode == op.MAKE_FUNCTION:
                assert 0 <= arg < len(program.codes)


def test_line_table_covers_every_instruction() -> None:
    program = compile_program("def main():\n    x = 1\n\n    return x + 2\n", "p.flow")
    main = program.codes[1]
    assert len(main.lines) == len(main.ops) == len(main.cols)
    assert set(main.lines) >= {2, 4}
    assert "RETURN_VALUE" in main.disassemble()


def test_every_opcode_has_a_stack_picture() -> None:
    assert all("--" in op.STACK_PICTURES[name] for name in op.OPNAMES)
    assert len(set(op.OPNAMES)) == len(op.OPNAMES)


def test_return_inside_try_saves_value_and_runs_finally_inline() -> None:
    program = compile_program(
        "def main():\n    try:\n        return 1\n    finally:\n        x = 2\n", "p.flow"
    )
    ops = program.codes[1].ops
    assert op.SAVE_RETURN in ops and op.RETURN_SAVED in ops
    # the finally body is compiled for the return exit, the normal exit and the exception exit
    assert ops.count(op.STORE_FAST) == 3
