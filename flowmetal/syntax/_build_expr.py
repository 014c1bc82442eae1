"""From lark's tree to Python `ast` nodes: expressions.

`ExprBuilder` turns expression subtrees into the nodes `ast.parse` would
make for the same source, positions included (line, UTF-8 byte column, and
their ends). Spans come from lark's propagated positions: a tree's own span
excludes the parentheses around it (as in `ast`), its "container" span
includes them, and a parent's span is built from its children's containers.

The statement half, and the refusals of what Flowmetal does not support,
are in `_build_stmt.py`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any, NoReturn

from lark import Token, Tree

from flowmetal.syntax._build_strings import build_strings
from flowmetal.syntax._lexing import Positions, SourceError, number_value

Item = Tree | Token
# lark types a tree's children loosely (Tree | Token); which is which is fixed
# by the grammar's shape, so the builders take trees as `Node` (Any).
Node = Any
SubParser = Callable[[str, int], ast.expr]

BINOPS: dict[str, type[ast.operator]] = {
    "+": ast.Add,
    "-": ast.Sub,
    "*": ast.Mult,
    "@": ast.MatMult,
    "/": ast.Div,
    "//": ast.FloorDiv,
    "%": ast.Mod,
    "**": ast.Pow,
    "<<": ast.LShift,
    ">>": ast.RShift,
    "|": ast.BitOr,
    "^": ast.BitXor,
    "&": ast.BitAnd,
}
UNARYOPS: dict[str, type[ast.unaryop]] = {"+": ast.UAdd, "-": ast.USub, "~": ast.Invert}
CMPOPS: dict[str, type[ast.cmpop]] = {
    "<": ast.Lt,
    ">": ast.Gt,
    "==": ast.Eq,
    ">=": ast.GtE,
    "<=": ast.LtE,
    "!=": ast.NotEq,
    "in": ast.In,
    "notin": ast.NotIn,
    "is": ast.Is,
    "isnot": ast.IsNot,
}
# What a target that cannot be assigned is called, as in CPython's messages.
EXPR_NAMES: dict[type[ast.AST], str] = {
    ast.Call: "function call",
    ast.Constant: "literal",
    ast.JoinedStr: "f-string expression",
    ast.Compare: "comparison",
    ast.Lambda: "lambda",
    ast.IfExp: "conditional expression",
    ast.BoolOp: "expression",
    ast.BinOp: "expression",
    ast.UnaryOp: "expression",
    ast.Await: "await expression",
    ast.Dict: "dict literal",
    ast.Set: "set display",
    ast.ListComp: "list comprehension",
    ast.SetComp: "set comprehension",
    ast.DictComp: "dict comprehension",
    ast.GeneratorExp: "generator expression",
}


class ExprBuilder:
    """Builds expression nodes. `shift` maps offsets of a sub-parse (f-string fields) to the source."""

    def __init__(self, positions: Positions, sub_parser: SubParser, shift: int = 0):
        self.positions = positions
        self.sub_parser = sub_parser
        self.shift = shift

    # -- positions --------------------------------------------------------

    def span(self, item: Item) -> tuple[int, int]:
        """The outer span of an item: with the parentheses around it, if any."""
        if isinstance(item, Token):
            return item.start_pos or 0, item.end_pos or 0
        meta = item.meta
        return (
            getattr(meta, "container_start_pos", meta.start_pos),
            getattr(meta, "container_end_pos", meta.end_pos),
        )

    def own(self, tree: Node) -> tuple[int, int]:
        """The span of a tree without the parentheses around it."""
        return tree.meta.start_pos, tree.meta.end_pos

    def at(self, node: Any, start: int, end: int) -> Any:
        """Set the positions of `node` from offsets in the (sub-)parsed text."""
        node.lineno, node.col_offset = self.positions.at(start + self.shift)
        node.end_lineno, node.end_col_offset = self.positions.at(end + self.shift)
        return node

    def refuse(self, message: str, pos: int) -> NoReturn:
        raise SourceError(message, pos + self.shift)

    # -- dispatch ---------------------------------------------------------

    def expr(self, item: Item) -> Any:
        if isinstance(item, Token):  # a bare NAME in a target list
            return self.at(ast.Name(id=item.value, ctx=ast.Load()), *self.span(item))
        method = getattr(self, "e_" + item.data, None)
        if method is None:
            self.refuse("invalid syntax", self.span(item)[0])
        return method(item)

    def exprs(self, items: list[Any]) -> list[Any]:
        return [self.expr(item) for item in items if item is not None]

    def unstarred(self, item: Item, message: str = "cannot use starred expression here") -> Any:
        """An expression where a bare `*x` is not allowed (Python's message for it)."""
        node = self.expr(item)
        if isinstance(node, ast.Starred):
            self.refuse(message, self.span(item)[0])
        return node

    def element(self, item: Item) -> Any:
        return self.unstarred(item, "iterable unpacking cannot be used in comprehension")

    # -- atoms ------------------------------------------------------------

    def e_name(self, t: Node) -> ast.Name:
        return self.at(ast.Name(id=t.children[0].value, ctx=ast.Load()), *self.own(t))

    def e_number(self, t: Node) -> ast.Constant:
        token = t.children[0]
        if token.type == "IMAG_NUMBER":
            self.refuse("complex numbers are not supported in Flowmetal", token.start_pos)
        return self.at(ast.Constant(value=number_value(token), kind=None), *self.own(t))

    def e_const_none(self, t: Node) -> ast.Constant:
        return self.at(ast.Constant(value=None, kind=None), *self.own(t))

    def e_const_true(self, t: Node) -> ast.Constant:
        return self.at(ast.Constant(value=True, kind=None), *self.own(t))

    def e_const_false(self, t: Node) -> ast.Constant:
        return self.at(ast.Constant(value=False, kind=None), *self.own(t))

    def e_ellipsis(self, t: Node) -> ast.Constant:
        return self.at(ast.Constant(value=..., kind=None), *self.own(t))

    # -- displays ---------------------------------------------------------

    def _items(self, t: Node) -> list[Any]:
        """Elements of a display whose only child is an items subtree (or nothing)."""
        if not t.children or t.children[0] is None:
            return []
        return self.exprs(t.children[0].children)

    def e_tuple(self, t: Node) -> ast.Tuple:
        return self.at(ast.Tuple(elts=self._items(t), ctx=ast.Load()), *self.own(t))

    def e_bare_tuple(self, t: Node) -> ast.Tuple:
        return self.at(ast.Tuple(elts=self.exprs(t.children), ctx=ast.Load()), *self.own(t))

    e_target_tuple = e_bare_tuple

    def e_list(self, t: Node) -> ast.List:
        return self.at(ast.List(elts=self._items(t), ctx=ast.Load()), *self.own(t))

    def e_set(self, t: Node) -> ast.Set:
        return self.at(ast.Set(elts=self._items(t)), *self.own(t))

    def e_dict(self, t: Node) -> ast.Dict:
        keys: list[Any] = []
        values: list[Any] = []
        items = t.children[0].children if t.children else []
        for item in items:
            if item is None:
                continue
            if item.data == "dict_unpack":
                keys.append(None)
                values.append(self.expr(item.children[0]))
            else:
                keys.append(self.expr(item.children[0]))
                values.append(self.expr(item.children[1]))
        return self.at(ast.Dict(keys=keys, values=values), *self.own(t))

    def comprehensions(self, items: list[Any]) -> list[ast.comprehension]:
        result = []
        for item in items:
            target = self.target(self.expr(item.children[0]), ast.Store)
            ifs = [self.expr(c.children[0]) for c in item.children[2:]]
            result.append(
                ast.comprehension(
                    target=target, iter=self.expr(item.children[1]), ifs=ifs, is_async=0
                )
            )
        return result

    def e_listcomp(self, t: Node) -> ast.ListComp:
        elt = self.element(t.children[0])
        gens = self.comprehensions(t.children[1:])
        return self.at(ast.ListComp(elt=elt, generators=gens), *self.own(t))

    def e_setcomp(self, t: Node) -> ast.SetComp:
        elt = self.element(t.children[0])
        gens = self.comprehensions(t.children[1:])
        return self.at(ast.SetComp(elt=elt, generators=gens), *self.own(t))

    def e_genexp(self, t: Node) -> ast.GeneratorExp:
        elt = self.element(t.children[0])
        gens = self.comprehensions(t.children[1:])
        return self.at(ast.GeneratorExp(elt=elt, generators=gens), *self.own(t))

    def e_dictcomp(self, t: Node) -> ast.DictComp:
        pair = t.children[0]
        key, value = self.expr(pair.children[0]), self.expr(pair.children[1])
        gens = self.comprehensions(t.children[1:])
        return self.at(ast.DictComp(key=key, value=value, generators=gens), *self.own(t))

    # -- operators --------------------------------------------------------

    def e_star_expr(self, t: Node) -> ast.Starred:
        return self.at(ast.Starred(value=self.expr(t.children[1]), ctx=ast.Load()), *self.own(t))

    def e_ifexp(self, t: Node) -> ast.IfExp:
        body, test, orelse = (self.expr(c) for c in t.children)
        return self.at(ast.IfExp(test=test, body=body, orelse=orelse), *self.own(t))

    def e_or_test(self, t: Node) -> ast.BoolOp:
        return self.at(ast.BoolOp(op=ast.Or(), values=self.exprs(t.children)), *self.own(t))

    def e_and_test(self, t: Node) -> ast.BoolOp:
        return self.at(ast.BoolOp(op=ast.And(), values=self.exprs(t.children)), *self.own(t))

    def e_not_test(self, t: Node) -> ast.UnaryOp:
        operand = self.expr(t.children[0])
        return self.at(ast.UnaryOp(op=ast.Not(), operand=operand), *self.own(t))

    def e_comparison(self, t: Node) -> ast.Compare:
        left = self.expr(t.children[0])
        ops, comparators = [], []
        for op_tree, right in zip(t.children[1::2], t.children[2::2], strict=True):
            ops.append(CMPOPS["".join(tok.value for tok in op_tree.children)]())
            comparators.append(self.expr(right))
        return self.at(ast.Compare(left=left, ops=ops, comparators=comparators), *self.own(t))

    def _binop_chain(self, t: Node) -> ast.expr:
        """Fold `a + b - c` to the left, each BinOp spanning its operands' containers."""
        children = t.children
        start = self.span(children[0])[0]
        node = self.expr(children[0])
        for op, right in zip(children[1::2], children[2::2], strict=True):
            end = self.span(right)[1]
            node = self.at(
                ast.BinOp(left=node, op=BINOPS[op.value](), right=self.expr(right)), start, end
            )
        return node

    e_or_expr = e_xor_expr = e_and_expr = e_shift_expr = e_arith_expr = e_term = _binop_chain

    def e_factor(self, t: Node) -> ast.UnaryOp:
        op = UNARYOPS[t.children[0].value]()
        return self.at(ast.UnaryOp(op=op, operand=self.expr(t.children[1])), *self.own(t))

    def e_power(self, t: Node) -> ast.BinOp:
        left, right = self.expr(t.children[0]), self.expr(t.children[1])
        return self.at(ast.BinOp(left=left, op=ast.Pow(), right=right), *self.own(t))

    def e_await_expr(self, t: Node) -> ast.Await:
        return self.at(ast.Await(value=self.expr(t.children[1])), *self.own(t))

    # -- trailers ---------------------------------------------------------

    def e_attribute(self, t: Node) -> ast.Attribute:
        value = self.expr(t.children[0])
        attr = t.children[1].value
        return self.at(ast.Attribute(value=value, attr=attr, ctx=ast.Load()), *self.own(t))

    def e_subscript(self, t: Node) -> ast.Subscript:
        value = self.expr(t.children[0])
        subs = t.children[1]
        if subs.data == "subscripts":
            index = self.expr(subs.children[0])
            if isinstance(index, ast.Starred):  # x[*a] indexes by the tuple (*a,)
                index = self.at(ast.Tuple(elts=[index], ctx=ast.Load()), *self.own(subs))
        else:
            index = self.at(
                ast.Tuple(elts=self.exprs(subs.children), ctx=ast.Load()), *self.own(subs)
            )
        return self.at(ast.Subscript(value=value, slice=index, ctx=ast.Load()), *self.own(t))

    def e_slice(self, t: Node) -> ast.Slice:
        lower, upper, step = (None if c is None else self.expr(c) for c in t.children)
        return self.at(ast.Slice(lower=lower, upper=upper, step=step), *self.own(t))

    def e_call(self, t: Node) -> ast.Call:
        func = self.expr(t.children[0])
        args: list[Any] = []
        keywords: list[ast.keyword] = []
        arguments = t.children[1]
        if arguments is not None and arguments.data == "genexp_argument":
            # A lone generator argument: its span is the call's parentheses.
            elt = self.element(arguments.children[0])
            gens = self.comprehensions(arguments.children[1:])
            open_paren = self._paren_after(self.span(t.children[0])[1])
            genexp = ast.GeneratorExp(elt=elt, generators=gens)
            args.append(self.at(genexp, open_paren, self.own(t)[1]))
        elif arguments is not None:
            self._call_arguments(arguments.children, args, keywords)
        return self.at(ast.Call(func=func, args=args, keywords=keywords), *self.own(t))

    def _paren_after(self, offset: int) -> int:
        text = self.positions.source
        pos = offset + self.shift
        while pos < len(text) and text[pos] != "(":
            pos += 1
        return pos - self.shift

    def _call_arguments(self, items: list[Any], args: list[Any], keywords: list[Any]) -> None:
        seen_keyword = seen_double_star = False
        item: Node
        for item in items:
            if item is None:
                continue
            kind = item.data if isinstance(item, Tree) else ""
            start = self.span(item)[0]
            if kind == "keyword_argument":
                name: Node = item.children[0]
                if not (isinstance(name, Tree) and name.data == "name"):
                    self.refuse(
                        'expression cannot contain assignment, perhaps you meant "=="?', start
                    )
                if self.span(name) != self.own(name):
                    self.refuse(
                        'expression cannot contain assignment, perhaps you meant "=="?', start
                    )
                arg = str(name.children[0])
                if any(k.arg == arg for k in keywords):
                    self.refuse(f"keyword argument repeated: {arg}", start)
                keyword = ast.keyword(arg=arg, value=self.expr(item.children[1]))
                keywords.append(self.at(keyword, *self.own(item)))
                seen_keyword = True
            elif kind == "double_star_argument":
                keyword = ast.keyword(arg=None, value=self.expr(item.children[0]))
                keywords.append(self.at(keyword, *self.own(item)))
                seen_double_star = True
            elif kind == "star_argument":
                if seen_double_star:
                    self.refuse(
                        "iterable argument unpacking follows keyword argument unpacking", start
                    )
                starred = ast.Starred(value=self.expr(item.children[1]), ctx=ast.Load())
                args.append(self.at(starred, *self.own(item)))
            else:
                if seen_double_star:
                    self.refuse("positional argument follows keyword argument unpacking", start)
                if seen_keyword:
                    self.refuse("positional argument follows keyword argument", start)
                args.append(self.expr(item))

    # -- refused expressions ----------------------------------------------

    def e_yield_expr(self, t: Node) -> NoReturn:
        self.refuse("generators (yield) are not supported in Flowmetal", self.own(t)[0])

    e_yield_from = e_yield_expr

    def e_paren_yield(self, t: Node) -> NoReturn:
        self.e_yield_expr(t.children[0])

    def e_walrus(self, t: Node) -> NoReturn:
        source = self.positions.source
        name_end = self.span(t.children[0])[1] + self.shift
        pos = source.find(":=", name_end)
        self.refuse(
            "assignment expressions (:=) are not supported in Flowmetal",
            (pos if pos >= 0 else name_end) - self.shift,
        )

    # -- targets ----------------------------------------------------------

    def target(self, node: Any, ctx: type[ast.expr_context], starred_ok: bool = False) -> Any:
        """Give `node` (and its elements) the Store or Del context, or refuse it as a target."""
        verb = "delete" if ctx is ast.Del else "assign to"
        if isinstance(node, ast.Name | ast.Attribute | ast.Subscript):
            node.ctx = ctx()
        elif isinstance(node, ast.Tuple | ast.List):
            node.ctx = ctx()
            starred = [elt for elt in node.elts if isinstance(elt, ast.Starred)]
            if len(starred) > 1:
                self.refuse("multiple starred expressions in assignment", self.pos(starred[1]))
            for elt in node.elts:
                self.target(elt, ctx, starred_ok=ctx is not ast.Del)
        elif isinstance(node, ast.Starred) and starred_ok:
            node.ctx = ctx()
            self.target(node.value, ctx)
        elif isinstance(node, ast.Starred):
            self.refuse("starred assignment target must be in a list or tuple", self.pos(node))
        elif isinstance(node, ast.Constant) and (
            node.value is None or isinstance(node.value, bool)
        ):
            self.refuse(f"cannot {verb} {node.value}", self.pos(node))
        else:
            what = EXPR_NAMES.get(type(node), "expression")
            self.refuse(f"cannot {verb} {what}", self.pos(node))
        return node

    def pos(self, node: Any) -> int:
        """The source offset (less `shift`) of a built node: for error messages only."""
        line_start = self.positions.line_starts[node.lineno - 1]
        text = self.positions.source[line_start:]
        prefix = text.encode("utf-8")[: node.col_offset].decode("utf-8", "ignore")
        return line_start + len(prefix) - self.shift

    # -- strings ----------------------------------------------------------

    def e_strings(self, t: Node) -> ast.Constant | ast.JoinedStr:
        return build_strings(self, t)
