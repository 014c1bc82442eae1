"""Random expressions and statements, written out by `ast.unparse`, parse as CPython parses them.

`ast.unparse` puts in only the parentheses that precedence requires, so this
checks operator precedence and associativity, and the positions of every
node, over far more shapes than a hand-written list can hold.
"""

import ast
import random
import sys

import pytest

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


def statement(rng: random.Random) -> ast.stmt:
    kind = rng.randrange(4)
    if kind == 0:
        return ast.Expr(value=expr(rng, 4))
    if kind == 1:
        target = ast.Name(id=rng.choice(NAMES), ctx=ast.Store())
        return ast.Assign(targets=[target], value=expr(rng, 4), lineno=1)
    if kind == 2:
        target = ast.Name(id=rng.choice(NAMES), ctx=ast.Store())
        return ast.AugAssign(target=target, op=rng.choice(BINOPS)(), value=expr(rng, 4))
    return ast.Return(value=expr(rng, 4))


def program(rng: random.Random) -> str:
    body = [statement(rng) for _ in range(6)]
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


@pytest.mark.parametrize("seed", range(20))
def test_generated_programs(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(3):
        source = program(rng)
        expected = ast.dump(ast.parse(source), include_attributes=True)
        assert ast.dump(parse(source), include_attributes=True) == expected, source
