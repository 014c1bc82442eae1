"""Compiling expressions to stack code (the expression half of the compiler).

`ExprCompiler` is a mixin of `compiler.FunctionCompiler`: it relies on
`self.b` (the CodeBuilder of the current code object), `self.scope` (the
resolver's Scope), `self.error(node, msg)` and `self.compile_child(...)` for
lambdas and comprehensions, which become code objects of their own.
"""

from __future__ import annotations

import ast
from typing import Any

from flowmetal.compile import opcodes as op
from flowmetal.compile.builder import CodeBuilder
from flowmetal.compile.resolve import Scope
from flowmetal.errors import CompileError

_BINOPS: dict[type, int] = {
    ast.Add: 0,
    ast.Sub: 1,
    ast.Mult: 2,
    ast.Div: 3,
    ast.FloorDiv: 4,
    ast.Mod: 5,
    ast.Pow: 6,
    ast.LShift: 7,
    ast.RShift: 8,
    ast.BitAnd: 9,
    ast.BitOr: 10,
    ast.BitXor: 11,
    ast.MatMult: 12,
}
_UNARY: dict[type, int] = {ast.USub: 0, ast.UAdd: 1, ast.Not: 2, ast.Invert: 3}
_CMPOPS: dict[type, int] = {
    ast.Lt: 0,
    ast.LtE: 1,
    ast.Eq: 2,
    ast.NotEq: 3,
    ast.Gt: 4,
    ast.GtE: 5,
    ast.In: 6,
    ast.NotIn: 7,
    ast.Is: 8,
    ast.IsNot: 9,
}
_CONVERSIONS = {-1: 0, 115: 1, 114: 2, 97: 3}


def binop_index(node: ast.operator) -> int:
    return _BINOPS[type(node)]


def is_plain_const(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, tuple):
        return all(is_plain_const(v) for v in value)
    return False


class ExprCompiler:
    b: CodeBuilder
    scope: Scope

    def error(self, node: ast.AST, message: str) -> CompileError:
        raise NotImplementedError

    def compile_child(self, node: ast.AST, name: str) -> int:
        raise NotImplementedError

    # -- names --------------------------------------------------------------------------

    def load_name(self, name: str) -> None:
        where, slot = self.scope.lookup(name)
        if where == "fast":
            self.b.emit(op.LOAD_FAST, int(slot))
        elif where == "deref":
            self.b.emit(op.LOAD_DEREF, int(slot))
        else:
            self.b.emit(op.LOAD_GLOBAL, self.b.name(name))

    def store_name(self, name: str) -> None:
        where, slot = self.scope.lookup(name)
        if where == "fast":
            self.b.emit(op.STORE_FAST, int(slot))
        elif where == "deref":
            self.b.emit(op.STORE_DEREF, int(slot))
        else:
            self.b.emit(op.STORE_GLOBAL, self.b.name(name))

    def delete_name(self, name: str) -> None:
        where, slot = self.scope.lookup(name)
        if where == "fast":
            self.b.emit(op.DELETE_FAST, int(slot))
        elif where == "deref":
            self.b.emit(op.DELETE_DEREF, int(slot))
        else:
            self.b.emit(op.DELETE_GLOBAL, self.b.name(name))

    # -- expressions --------------------------------------------------------------------

    def expr(self, node: ast.expr) -> None:
        self.b.at(node)
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise self.error(node, f"{type(node).__name__} expressions are not supported")
        method(node)

    def expr_Constant(self, node: ast.Constant) -> None:
        if not is_plain_const(node.value):
            kind = "bytes" if isinstance(node.value, bytes) else type(node.value).__name__
            raise self.error(node, f"{kind} literals are not supported")
        self.b.load_const(node.value)

    def expr_Name(self, node: ast.Name) -> None:
        self.load_name(node.id)

    def expr_BinOp(self, node: ast.BinOp) -> None:
        self.expr(node.left)
        self.expr(node.right)
        self.b.at(node)
        self.b.emit(op.BINARY, binop_index(node.op))

    def expr_UnaryOp(self, node: ast.UnaryOp) -> None:
        self.expr(node.operand)
        self.b.at(node)
        self.b.emit(op.UNARY, _UNARY[type(node.op)])

    def expr_BoolOp(self, node: ast.BoolOp) -> None:
        end = self.b.label()
        jump = op.JUMP_IF_FALSE_OR_POP if isinstance(node.op, ast.And) else op.JUMP_IF_TRUE_OR_POP
        for value in node.values[:-1]:
            self.expr(value)
            self.b.jump(jump, end)
        self.expr(node.values[-1])
        self.b.mark(end)

    def expr_Compare(self, node: ast.Compare) -> None:
        self.expr(node.left)
        if len(node.ops) == 1:
            self.expr(node.comparators[0])
            self.b.at(node)
            self.b.emit(op.COMPARE, _CMPOPS[type(node.ops[0])])
            return
        cleanup, end = self.b.label(), self.b.label()
        for cmp, right in zip(node.ops[:-1], node.comparators[:-1], strict=True):
            self.expr(right)
            self.b.at(node)
            self.b.emit(op.DUP_TOP)
            self.b.emit(op.ROT_THREE)
            self.b.emit(op.COMPARE, _CMPOPS[type(cmp)])
            self.b.jump(op.JUMP_IF_FALSE_OR_POP, cleanup)
        self.expr(node.comparators[-1])
        self.b.at(node)
        self.b.emit(op.COMPARE, _CMPOPS[type(node.ops[-1])])
        self.b.jump(op.JUMP, end)
        self.b.mark(cleanup)
        self.b.emit(op.ROT_TWO)
        self.b.emit(op.POP_TOP)
        self.b.mark(end)

    def expr_IfExp(self, node: ast.IfExp) -> None:
        orelse, end = self.b.label(), self.b.label()
        self.expr(node.test)
        self.b.jump(op.POP_JUMP_IF_FALSE, orelse)
        self.expr(node.body)
        self.b.jump(op.JUMP, end)
        self.b.mark(orelse)
        self.expr(node.orelse)
        self.b.mark(end)

    def _sequence(self, elts: list[ast.expr], build: int) -> None:
        """Push the elements of a list/tuple/set display, handling `*x` entries."""
        if not any(isinstance(e, ast.Starred) for e in elts):
            for e in elts:
                self.expr(e)
            self.b.emit(build, len(elts))
            return
        self.b.emit(op.BUILD_SET if build == op.BUILD_SET else op.BUILD_LIST, 0)
        for e in elts:
            if isinstance(e, ast.Starred):
                self.expr(e.value)
                self.b.emit(op.SET_UPDATE if build == op.BUILD_SET else op.LIST_EXTEND, 1)
            else:
                self.expr(e)
                self.b.emit(op.SET_ADD if build == op.BUILD_SET else op.LIST_APPEND, 1)
        if build == op.BUILD_TUPLE:
            self.b.emit(op.LIST_TO_TUPLE)

    def expr_List(self, node: ast.List) -> None:
        self._sequence(node.elts, op.BUILD_LIST)

    def expr_Tuple(self, node: ast.Tuple) -> None:
        self._sequence(node.elts, op.BUILD_TUPLE)

    def expr_Set(self, node: ast.Set) -> None:
        self._sequence(node.elts, op.BUILD_SET)

    def expr_Dict(self, node: ast.Dict) -> None:
        if all(k is not None for k in node.keys):
            for k, v in zip(node.keys, node.values, strict=True):
                self.expr(k)  # type: ignore[arg-type]
                self.expr(v)
            self.b.at(node)
            self.b.emit(op.BUILD_MAP, len(node.keys))
            return
        self.b.emit(op.BUILD_MAP, 0)
        for k, v in zip(node.keys, node.values, strict=True):
            if k is None:
                self.expr(v)
                self.b.emit(op.DICT_UPDATE, 1)
            else:
                self.expr(k)
                self.expr(v)
                self.b.emit(op.MAP_ADD, 1)

    def expr_Subscript(self, node: ast.Subscript) -> None:
        self.expr(node.value)
        self.expr(node.slice)
        self.b.at(node)
        self.b.emit(op.BINARY_SUBSCR)

    def expr_Slice(self, node: ast.Slice) -> None:
        for part in (node.lower, node.upper):
            if part is None:
                self.b.load_const(None)
            else:
                self.expr(part)
        if node.step is not None:
            self.expr(node.step)
            self.b.emit(op.BUILD_SLICE, 3)
        else:
            self.b.emit(op.BUILD_SLICE, 2)

    def expr_Attribute(self, node: ast.Attribute) -> None:
        self.expr(node.value)
        self.b.at(node)
        self.b.emit(op.LOAD_ATTR, self.b.name(node.attr))

    def expr_JoinedStr(self, node: ast.JoinedStr) -> None:
        for value in node.values:
            if isinstance(value, ast.Constant):
                self.b.load_const(value.value)
            else:
                self.expr(value)
        self.b.emit(op.BUILD_STRING, len(node.values))

    def expr_FormattedValue(self, node: ast.FormattedValue) -> None:
        self.expr(node.value)
        flags = _CONVERSIONS[node.conversion]
        if node.format_spec is not None:
            self.expr(node.format_spec)
            flags |= 4
        self.b.at(node)
        self.b.emit(op.FORMAT_VALUE, flags)

    def expr_Await(self, node: ast.Await) -> None:
        self.expr(node.value)
        self.b.at(node)
        self.b.emit(op.AWAIT)

    def expr_Starred(self, node: ast.Starred) -> None:
        raise self.error(node, "can't use starred expression here")

    def expr_Call(self, node: ast.Call) -> None:
        self.expr(node.func)
        starred = any(isinstance(a, ast.Starred) for a in node.args)
        double = any(k.arg is None for k in node.keywords)
        if not starred and not double:
            for a in node.args:
                self.expr(a)
            for k in node.keywords:
                self.expr(k.value)
            self.b.at(node)
            if node.keywords:
                self.b.load_const(tuple(k.arg for k in node.keywords))
                self.b.emit(op.CALL_KW, len(node.args) + len(node.keywords))
            else:
                self.b.emit(op.CALL, len(node.args))
            return
        self._sequence(node.args, op.BUILD_TUPLE)
        if node.keywords:
            self.b.emit(op.BUILD_MAP, 0)
            for k in node.keywords:
                if k.arg is None:
                    self.expr(k.value)
                else:
                    self.b.load_const(k.arg)
                    self.expr(k.value)
                    self.b.emit(op.BUILD_MAP, 1)
                self.b.emit(op.DICT_MERGE, 1)
        self.b.at(node)
        self.b.emit(op.CALL_EX, 1 if node.keywords else 0)

    # -- functions and comprehensions ---------------------------------------------------

    def make_function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, name: str
    ) -> None:
        """Push a new function object for `node` (defaults evaluated here, once)."""
        args = node.args
        for d in args.defaults:
            self.expr(d)
        self.b.emit(op.BUILD_TUPLE, len(args.defaults))
        n = 0
        for a, kd in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            if kd is not None:
                self.b.load_const(a.arg)
                self.expr(kd)
                n += 1
        self.b.emit(op.BUILD_MAP, n)
        index = self.compile_child(node, name)
        self._closure(node)
        self.b.at(node)
        self.b.emit(op.MAKE_FUNCTION, index)

    def _closure(self, node: ast.AST) -> None:
        child = self.child_scope(node)
        for name in child.freevars:
            self.b.emit(op.LOAD_CLOSURE, self.scope.cell_index(name))
        self.b.emit(op.BUILD_TUPLE, len(child.freevars))

    def child_scope(self, node: ast.AST) -> Scope:
        raise NotImplementedError

    def expr_Lambda(self, node: ast.Lambda) -> None:
        self.make_function(node, "<lambda>")

    def _comprehension(self, node: ast.AST, name: str) -> None:
        self.b.emit(op.BUILD_TUPLE, 0)
        self.b.emit(op.BUILD_MAP, 0)
        index = self.compile_child(node, name)
        self._closure(node)
        self.b.at(node)
        self.b.emit(op.MAKE_FUNCTION, index)
        self.expr(node.generators[0].iter)  # type: ignore[attr-defined]
        self.b.at(node)
        self.b.emit(op.GET_ITER)
        self.b.emit(op.CALL, 1)

    def expr_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node, "<listcomp>")

    def expr_SetComp(self, node: ast.SetComp) -> None:
        self._comprehension(node, "<setcomp>")

    def expr_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node, "<dictcomp>")

    def expr_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self._comprehension(node, "<genexpr>")

    def comprehension_body(self, node: ast.AST) -> None:
        """The body of a comprehension's own code object: loops, filters, and the append."""
        gens: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        if isinstance(node, ast.DictComp):
            build, add = op.BUILD_MAP, op.MAP_ADD
        elif isinstance(node, ast.SetComp):
            build, add = op.BUILD_SET, op.SET_ADD
        else:
            build, add = op.BUILD_LIST, op.LIST_APPEND
        self.b.emit(build, 0)
        ends: list[tuple[int, int]] = []
        for i, gen in enumerate(gens):
            if i == 0:
                self.b.emit(op.LOAD_FAST, 0)  # `.0`, the iterator the caller passed
            else:
                self.expr(gen.iter)
                self.b.emit(op.GET_ITER)
            top, end = self.b.label(), self.b.label()
            self.b.mark(top)
            self.b.jump(op.FOR_ITER, end)
            self.assign_target(gen.target)
            for cond in gen.ifs:
                self.expr(cond)
                self.b.jump(op.POP_JUMP_IF_FALSE, top)
            ends.append((top, end))
        if isinstance(node, ast.DictComp):
            self.expr(node.key)
            self.expr(node.value)
        else:
            self.expr(node.elt)  # type: ignore[attr-defined]
        self.b.emit(add, len(gens) + 1)
        for top, end in reversed(ends):
            self.b.jump(op.JUMP, top)
            self.b.mark(end)
        if isinstance(node, ast.GeneratorExp):
            # Generator expressions are evaluated eagerly: the caller gets an
            # iterator over the finished list (documented difference from Python).
            self.b.emit(op.GET_ITER)
        self.b.emit(op.RETURN_VALUE)

    # -- assignment targets -------------------------------------------------------------

    def assign_target(self, target: ast.expr) -> None:
        """Store the value on top of the stack into `target`."""
        self.b.at(target)
        if isinstance(target, ast.Name):
            self.store_name(target.id)
        elif isinstance(target, ast.Tuple | ast.List):
            self._unpack(target.elts, target)
        elif isinstance(target, ast.Subscript):
            self.expr(target.value)
            self.expr(target.slice)
            self.b.at(target)
            self.b.emit(op.STORE_SUBSCR)
        elif isinstance(target, ast.Attribute):
            raise self.error(target, "assignment to attributes is not supported")
        elif isinstance(target, ast.Starred):
            raise self.error(target, "starred assignment target must be in a list or tuple")
        else:
            raise self.error(target, f"cannot assign to {type(target).__name__}")

    def _unpack(self, elts: list[ast.expr], node: ast.AST) -> None:
        stars = [i for i, e in enumerate(elts) if isinstance(e, ast.Starred)]
        if len(stars) > 1:
            raise self.error(node, "multiple starred expressions in assignment")
        if stars:
            before = stars[0]
            after = len(elts) - before - 1
            if before > 255 or after > 255:
                raise self.error(node, "too many expressions in star-unpacking assignment")
            self.b.emit(op.UNPACK_EX, before | (after << 8))
        else:
            self.b.emit(op.UNPACK_SEQUENCE, len(elts))
        for e in elts:
            self.assign_target(e.value if isinstance(e, ast.Starred) else e)
