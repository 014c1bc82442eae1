"""Random expressions and statements, written out by `ast.unparse`, parse as CPython parses them.

`ast.unparse` puts in only the parentheses that precedence requires, so this
checks operator precedence and associativity, and the positions of every
node, over far more shapes than a hand-written list can hold.
"""

import ast
import random
import sys

import pytest

from flowmetal.errors import FlowSyntaxError
from flowmetal.syntax import parse

pytestmark = pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="compares with 3.11's ast")

NAMES = ["a", "b", "x", "y_1", "élan"]
BINOPS = [ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.LShift,
          ast.RShift, ast.BitOr, ast.BitXor, ast.BitAnd, ast.MatMult]  # fmt: skip
CMPOPS = [ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is,
          ast.IsNot]  # fmt: skip
CONSTANTS: list[str | int | float | bool | None] = [
    0,
    1,
    42,
    1.5,
    1e100,
    "s",
    "q'uote",
    'd"q',
    "tab\t",
    "é",
    True,
    False,
    None,
]


def name(rng: random.Random) -> ast.Name:
    return ast.Name(id=rng.choice(NAMES), ctx=ast.Load())


def expr(rng: random.Random, depth: int) -> ast.expr:
    if depth <= 0:
        if rng.random() < 0.5:
            return name(rng)
        return ast.Constant(value=rng.choice(CONSTANTS))
    d = depth - 1
    kind = rng.randrange(19)
    if kind == 0:
        return ast.BinOp(left=expr(rng, d), op=rng.choice(BINOPS)(), right=expr(rng, d))
    if kind == 1:
        op = rng.choice([ast.USub, ast.UAdd, ast.Invert, ast.Not])()
        return ast.UnaryOp(op=op, operand=expr(rng, d))
    if kind == 2:
        values = [expr(rng, d) for _ in range(rng.randint(2, 3))]
        return ast.BoolOp(op=rng.choice([ast.And, ast.Or])(), values=values)
    if kind == 3:
        n = rng.randint(1, 3)
        return ast.Compare(
            left=expr(rng, d),
            ops=[rng.choice(CMPOPS)() for _ in range(n)],
            comparators=[expr(rng, d) for _ in range(n)],
        )
    if kind == 4:
        return ast.IfExp(test=expr(rng, d), body=expr(rng, d), orelse=expr(rng, d))
    if kind == 5:
        args = [expr(rng, d) for _ in range(rng.randint(0, 2))]
        if rng.random() < 0.3:
            args.append(ast.Starred(value=expr(rng, d), ctx=ast.Load()))
        keywords = [ast.keyword(arg=k, value=expr(rng, d)) for k in rng.sample(NAMES, 2)[:1]]
        if rng.random() < 0.3:
            keywords.append(ast.keyword(arg=None, value=expr(rng, d)))
        return ast.Call(func=expr(rng, d), args=args, keywords=keywords)
    if kind == 6:
        return ast.Attribute(value=expr(rng, d), attr=rng.choice(NAMES), ctx=ast.Load())
    if kind == 7:
        return ast.Subscript(value=expr(rng, d), slice=expr(rng, d), ctx=ast.Load())
    if kind == 8:
        parts = [rng.choice([None, expr(rng, d)]) for _ in range(3)]
        index = ast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
        return ast.Subscript(value=expr(rng, d), slice=index, ctx=ast.Load())
    if kind == 9:
        return ast.Tuple(elts=[expr(rng, d) for _ in range(rng.randint(0, 3))], ctx=ast.Load())
    if kind == 10:
        return ast.List(elts=[expr(rng, d) for _ in range(rng.randint(0, 3))], ctx=ast.Load())
    if kind == 11:
        n = rng.randint(0, 2)
        keys: list[ast.expr | None] = [expr(rng, d) for _ in range(n)]
        return ast.Dict(keys=keys, values=[expr(rng, d) for _ in range(n)])
    if kind == 12:
        return ast.Set(elts=[expr(rng, d) for _ in range(rng.randint(1, 3))])
    if kind == 13:
        gens = [
            ast.comprehension(
                target=ast.Name(id=rng.choice(NAMES), ctx=ast.Store()),
                iter=expr(rng, d),
                ifs=[expr(rng, d) for _ in range(rng.randint(0, 2))],
                is_async=0,
            )
            for _ in range(rng.randint(1, 2))
        ]
        maker = rng.choice([ast.ListComp, ast.SetComp, ast.GeneratorExp])
        return maker(elt=expr(rng, d), generators=gens)
    if kind == 14:
        params = ast.arguments(
            posonlyargs=[], args=[ast.arg(arg=n) for n in rng.sample(NAMES, rng.randint(0, 2))],
            vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[],
        )  # fmt: skip
        return ast.Lambda(args=params, body=expr(rng, d))
    if kind == 15:
        return ast.Await(value=expr(rng, d))
    if kind == 16:
        spec = None
        if rng.random() < 0.4:
            spec = ast.JoinedStr(values=[ast.Constant(value=">10")])
        value = ast.FormattedValue(
            value=expr(rng, d), conversion=rng.choice([-1, 114, 115]), format_spec=spec
        )
        return ast.JoinedStr(values=[ast.Constant(value="v="), value])
    if kind == 17:
        return ast.Constant(value=rng.choice(CONSTANTS))
    return name(rng)


def store(rng: random.Random) -> ast.expr:
    """An assignment target: a name, attribute, subscript, or an unpacking."""
    kind = rng.randrange(5)
    if kind == 0:
        return ast.Attribute(value=name(rng), attr="f", ctx=ast.Store())
    if kind == 1:
        return ast.Subscript(value=name(rng), slice=expr(rng, 1), ctx=ast.Store())
    if kind == 2:
        elts: list[ast.expr] = [ast.Name(id=n, ctx=ast.Store()) for n in rng.sample(NAMES, 2)]
        elts.append(ast.Starred(value=ast.Name(id="rest", ctx=ast.Store()), ctx=ast.Store()))
        return ast.Tuple(elts=elts, ctx=ast.Store())
    return ast.Name(id=rng.choice(NAMES), ctx=ast.Store())


def block(rng: random.Random, depth: int) -> list[ast.stmt]:
    return [statement(rng, depth - 1) for _ in range(rng.randint(1, 2))]


def parameters(rng: random.Random) -> ast.arguments:
    names = rng.sample(NAMES, 4)
    return ast.arguments(
        posonlyargs=[],
        args=[ast.arg(arg=names[0]), ast.arg(arg=names[1])],
        vararg=ast.arg(arg="rest") if rng.random() < 0.5 else None,
        kwonlyargs=[ast.arg(arg=names[2])],
        kw_defaults=[rng.choice([None, expr(rng, 1)])],
        kwarg=ast.arg(arg=names[3]) if rng.random() < 0.5 else None,
        defaults=[expr(rng, 1)],
    )


def statement(rng: random.Random, depth: int = 2) -> ast.stmt:
    kind = rng.randrange(12 if depth > 0 else 5)
    if kind == 0:
        return ast.Expr(value=expr(rng, 4))
    if kind == 1:
        return ast.Assign(targets=[store(rng)], value=expr(rng, 4), lineno=1)
    if kind == 2:
        target = ast.Name(id=rng.choice(NAMES), ctx=ast.Store())
        return ast.AugAssign(target=target, op=rng.choice(BINOPS)(), value=expr(rng, 4))
    if kind == 3:
        return ast.Return(value=rng.choice([None, expr(rng, 3)]))
    if kind == 4:
        return rng.choice([ast.Pass(), ast.Break(), ast.Continue()])
    if kind == 5:
        orelse = rng.choice([[], block(rng, depth), [statement(rng, depth - 1)]])
        return ast.If(test=expr(rng, 2), body=block(rng, depth), orelse=orelse)
    if kind == 6:
        orelse = rng.choice([[], block(rng, depth)])
        return ast.While(test=expr(rng, 2), body=block(rng, depth), orelse=orelse)
    if kind == 7:
        return ast.For(
            target=store(rng), iter=expr(rng, 2), body=block(rng, depth), orelse=[], lineno=1
        )
    if kind == 8:
        items = [
            ast.withitem(context_expr=expr(rng, 2), optional_vars=rng.choice([None, store(rng)]))
            for _ in range(rng.randint(1, 2))
        ]
        return ast.With(items=items, body=block(rng, depth), lineno=1)
    if kind == 9:
        handlers = [
            ast.ExceptHandler(
                type=name(rng), name=rng.choice([None, "err"]), body=block(rng, depth)
            )
            for _ in range(rng.randint(0, 2))
        ]
        if handlers and rng.random() < 0.3:  # a bare `except:` comes last
            handlers.append(ast.ExceptHandler(type=None, name=None, body=block(rng, depth)))
        finalbody = block(rng, depth) if not handlers or rng.random() < 0.5 else []
        orelse = block(rng, depth) if handlers and rng.random() < 0.3 else []
        return ast.Try(
            body=block(rng, depth), handlers=handlers, orelse=orelse, finalbody=finalbody
        )
    if kind == 10:
        return ast.FunctionDef(
            name="g", args=parameters(rng), body=block(rng, depth), decorator_list=[], lineno=1
        )
    return ast.Assert(test=expr(rng, 2), msg=rng.choice([None, expr(rng, 1)]))


def program(rng: random.Random) -> str:
    body = [statement(rng) for _ in range(5)]
    func = ast.FunctionDef(
        name="f",
        args=ast.arguments(
            posonlyargs=[],
            args=[],
            vararg=None,
            kwonlyargs=[],
            kw_defaults=[],
            kwarg=None,
            defaults=[],
        ),  # fmt: skip
        body=body,
        decorator_list=[],
        returns=None,
    )
    module = ast.Module(body=[func], type_ignores=[])
    return ast.unparse(ast.fix_missing_locations(module)) + "\n"


@pytest.mark.parametrize("seed", range(40))
def test_generated_programs(seed: int) -> None:
    source = program(random.Random(seed))
    try:
        expected = ast.dump(ast.parse(source), include_attributes=True)
    except SyntaxError:  # ast.unparse can nest f-string quotes Python 3.11 cannot read
        with pytest.raises(FlowSyntaxError):
            parse(source)
        return
    assert ast.dump(parse(source), include_attributes=True) == expected, source
