"""From lark's tree to Python `ast` nodes: statements, functions, and refusals.

`Builder` extends the expression builder with statements. A compound
statement spans from its keyword to the last token of its last block, as in
`ast`. This is also where Flowmetal refuses what it does not support
(classes, generators, `global`, decorators, `async`, `except*`, imports from
outside `flow.*`, ...), at the keyword's position, with a message that says
what to do instead.
"""

from __future__ import annotations

import ast
from typing import Any, NoReturn

from lark import Token, Tree

from flowmetal.syntax._build_expr import BINOPS, ExprBuilder, Node

ASYNC_MESSAGE = "Flowmetal has no async def: any function may use await"
IMPORT_MESSAGE = "only the flow.* standard modules can be imported"


class Builder(ExprBuilder):
    """Builds a whole `ast.Module` from the tree of `file_input`."""

    statement_start = 0

    def module(self, tree: Node) -> ast.Module:
        try:
            return ast.Module(body=self.statements(tree.children), type_ignores=[])
        except RecursionError:
            self.refuse("too deeply nested: split this statement up", self.statement_start)

    def statements(self, items: list[Any]) -> list[ast.stmt]:
        body: list[ast.stmt] = []
        for item in items:
            if not isinstance(item, Tree):
                continue  # newline tokens between statements
            if item.data == "simple_stmt":
                body.extend(self.stmt(small) for small in item.children if small is not None)
            else:
                body.append(self.stmt(item))
        return body

    def stmt(self, tree: Node) -> Any:
        self.statement_start = self.own(tree)[0]  # where to point if nesting runs too deep
        method = getattr(self, "s_" + tree.data)
        return method(tree)

    def suite(self, tree: Node) -> list[ast.stmt]:
        return self.statements(tree.children)

    def block(self, node: Any, start: int, last: Node) -> Any:
        """Place a compound statement: from `start` to the end of `last`, its last suite.

        A suite ends at its last token, which may be a `;` (as in `ast`).
        """
        return self.at(node, start, self.own(last)[1])

    def refuse_at_keyword(self, tree: Node, message: str) -> NoReturn:
        self.refuse(message, self.own(tree)[0])

    # -- simple statements ------------------------------------------------

    def s_expr_stmt(self, t: Node) -> ast.Expr:
        return self.at(ast.Expr(value=self.unstarred(t.children[0])), *self.own(t))

    def s_assign(self, t: Node) -> ast.Assign:
        targets = [self.target(self.expr(c), ast.Store) for c in t.children[:-1]]
        value = self.unstarred(t.children[-1])
        node = ast.Assign(targets=targets, value=value, type_comment=None)
        return self.at(node, *self.own(t))

    def s_augassign(self, t: Node) -> ast.AugAssign:
        target = self.expr(t.children[0])
        if not isinstance(target, ast.Name | ast.Attribute | ast.Subscript):
            what = type(target).__name__.lower()
            self.refuse(
                f"'{what}' is an illegal expression for augmented assignment",
                self.span(t.children[0])[0],
            )
        target.ctx = ast.Store()
        op = BINOPS[t.children[1].value[:-1]]()
        node = ast.AugAssign(target=target, op=op, value=self.unstarred(t.children[2]))
        return self.at(node, *self.own(t))

    def s_annassign(self, t: Node) -> NoReturn:
        self.refuse(
            "variable annotations are not supported in Flowmetal", self.span(t.children[0])[1]
        )

    def s_del_stmt(self, t: Node) -> ast.Delete:
        targets = [self.target(x, ast.Del) for x in self.exprs(t.children[0].children)]
        return self.at(ast.Delete(targets=targets), *self.own(t))

    def s_pass_stmt(self, t: Node) -> ast.Pass:
        return self.at(ast.Pass(), *self.own(t))

    def s_break_stmt(self, t: Node) -> ast.Break:
        return self.at(ast.Break(), *self.own(t))

    def s_continue_stmt(self, t: Node) -> ast.Continue:
        return self.at(ast.Continue(), *self.own(t))

    def s_return_stmt(self, t: Node) -> ast.Return:
        value = None if t.children[0] is None else self.unstarred(t.children[0])
        return self.at(ast.Return(value=value), *self.own(t))

    def s_raise_stmt(self, t: Node) -> ast.Raise:
        exc, cause = (None if c is None else self.expr(c) for c in t.children)
        return self.at(ast.Raise(exc=exc, cause=cause), *self.own(t))

    def s_global_stmt(self, t: Node) -> NoReturn:
        self.refuse_at_keyword(
            t,
            "global is not supported in Flowmetal: keep shared state in a module-level "
            "dict, or use nonlocal in a nested function",
        )

    def s_nonlocal_stmt(self, t: Node) -> ast.Nonlocal:
        return self.at(ast.Nonlocal(names=[tok.value for tok in t.children]), *self.own(t))

    def s_assert_stmt(self, t: Node) -> ast.Assert:
        test, msg = t.children
        node = ast.Assert(test=self.expr(test), msg=None if msg is None else self.expr(msg))
        return self.at(node, *self.own(t))

    # -- imports ----------------------------------------------------------

    def _module_name(self, dotted: Node) -> str:
        name = ".".join(tok.value for tok in dotted.children)
        if not name.startswith("flow.") or name == "flow.":
            self.refuse(f"{IMPORT_MESSAGE} (not '{name}')", self.own(dotted)[0])
        return name

    def s_import_name(self, t: Node) -> ast.Import:
        names = []
        for item in t.children:
            name = self._module_name(item.children[0])
            asname = None if item.children[1] is None else item.children[1].value
            names.append(self.at(ast.alias(name=name, asname=asname), *self.own(item)))
        return self.at(ast.Import(names=names), *self.own(t))

    def s_import_from(self, t: Node) -> ast.ImportFrom:
        module = self._module_name(t.children[0])
        targets = t.children[1]
        if targets.data == "import_star":
            self.refuse(
                "star imports (from ... import *) are not supported in Flowmetal: "
                "name what you import",
                self.own(targets)[0],
            )
        names = []
        for item in targets.children:
            name, asname = item.children
            alias = ast.alias(name=name.value, asname=None if asname is None else asname.value)
            names.append(self.at(alias, *self.own(item)))
        return self.at(ast.ImportFrom(module=module, names=names, level=0), *self.own(t))

    def s_import_relative(self, t: Node) -> NoReturn:
        self.refuse(f"{IMPORT_MESSAGE} (not relative imports)", self.own(t.children[0])[0])

    # -- compound statements ----------------------------------------------

    def s_if_stmt(self, t: Node) -> ast.If:
        test, suite, *clauses = t.children
        orelse: list[ast.stmt] = []
        last: Any = suite
        if clauses and clauses[-1] is None:
            clauses.pop()
        if clauses and clauses[-1].data == "else_clause":
            last = clauses.pop().children[0]
            orelse = self.suite(last)
        elif clauses:
            last = clauses[-1].children[1]
        for clause in reversed(clauses):
            body = self.suite(clause.children[1])
            node = ast.If(test=self.expr(clause.children[0]), body=body, orelse=orelse)
            orelse = [self.block(node, self.own(clause)[0], last)]
        body = self.suite(suite)
        node = ast.If(test=self.expr(test), body=body, orelse=orelse)
        return self.block(node, self.own(t)[0], last)

    def _else(self, clause: Node | None) -> list[ast.stmt]:
        return [] if clause is None else self.suite(clause.children[0])

    def _last_suite(self, suite: Node, *clauses: Node | None) -> Node:
        """The suite a statement ends with: that of its last clause present."""
        for clause in reversed(clauses):
            if clause is not None:
                return clause.children[-1]
        return suite

    def s_while_stmt(self, t: Node) -> ast.While:
        test, suite, else_clause = t.children
        body, orelse = self.suite(suite), self._else(else_clause)
        node = ast.While(test=self.expr(test), body=body, orelse=orelse)
        return self.block(node, self.own(t)[0], self._last_suite(suite, else_clause))

    def s_for_stmt(self, t: Node) -> ast.For:
        target_tree, iter_tree, suite, else_clause = t.children
        target = self.target(self.expr(target_tree), ast.Store)
        iterable = self.unstarred(iter_tree)
        body, orelse = self.suite(suite), self._else(else_clause)
        node = ast.For(target=target, iter=iterable, body=body, orelse=orelse, type_comment=None)
        return self.block(node, self.own(t)[0], self._last_suite(suite, else_clause))

    def s_try_stmt(self, t: Node) -> ast.Try:
        suite, *clauses = t.children
        finally_clause = clauses.pop()
        else_clause = clauses.pop()
        body = self.suite(suite)
        handlers = [self.handler(c) for c in clauses]
        if not handlers and finally_clause is None:
            self.refuse("expected 'except' or 'finally' block", self.own(t)[0])
        if else_clause is not None and not handlers:
            self.refuse("invalid syntax: 'else' needs an 'except' block", self.own(else_clause)[0])
        orelse = self._else(else_clause)
        finalbody = self._else(finally_clause)
        node = ast.Try(body=body, handlers=handlers, orelse=orelse, finalbody=finalbody)
        last = self._last_suite(suite, *clauses, else_clause, finally_clause)
        return self.block(node, self.own(t)[0], last)

    def handler(self, clause: Node) -> ast.ExceptHandler:
        if clause.data == "except_star":
            self.refuse_at_keyword(
                clause, "except* (exception groups) is not supported in Flowmetal"
            )
        type_tree, name, suite = clause.children
        body = self.suite(suite)
        node = ast.ExceptHandler(
            type=None if type_tree is None else self.expr(type_tree),
            name=None if name is None else name.value,
            body=body,
        )
        return self.block(node, self.own(clause)[0], suite)

    def s_with_stmt(self, t: Node) -> ast.With:
        items = []
        for item in self._with_items(t.children[:-1]):
            context, target = item.children
            optional = None if target is None else self.target(self.expr(target), ast.Store)
            items.append(ast.withitem(context_expr=self.expr(context), optional_vars=optional))
        body = self.suite(t.children[-1])
        node = ast.With(items=items, body=body, type_comment=None)
        return self.block(node, self.own(t)[0], t.children[-1])

    def _with_items(self, items: list[Node]) -> list[Node]:
        """`with (a, b):` holds two items, not a tuple, as in Python 3.9+."""
        if len(items) != 1 or items[0].children[1] is not None:
            return items
        context = items[0].children[0]
        if not (isinstance(context, Tree) and context.data == "tuple" and context.children):
            return items
        elements = context.children[0].children
        if any(isinstance(e, Tree) and e.data == "star_expr" for e in elements):
            return items
        return [Tree("with_item", [e, None]) for e in elements if e is not None]

    # -- functions ---------------------------------------------------------

    def s_funcdef(self, t: Node) -> ast.FunctionDef:
        name, params, returns, suite = t.children
        args = self.parameters(params)
        body = self.suite(suite)
        node = ast.FunctionDef(
            name=name.value,
            args=args,
            body=body,
            decorator_list=[],
            returns=None if returns is None else self.expr(returns),
            type_comment=None,
        )
        return self.block(node, self.own(t)[0], suite)

    def e_lambdef(self, t: Node) -> ast.Lambda:
        args = self.parameters(t.children[0])
        node = ast.Lambda(args=args, body=self.expr(t.children[1]))
        return self.at(node, *self.own(t))

    def _arg(self, item: Node) -> ast.arg:
        if isinstance(item, Token):
            return self.at(
                ast.arg(arg=item.value, annotation=None, type_comment=None), *self.span(item)
            )
        name, annotation = item.children
        node = ast.arg(arg=name.value, annotation=self.expr(annotation), type_comment=None)
        return self.at(node, *self.own(item))

    def parameters(self, params: Node | None) -> ast.arguments:
        """Build `arguments`, checking the order of parameters as Python does."""
        posonly: list[ast.arg] = []
        args: list[ast.arg] = []
        defaults: list[Any] = []
        kwonly: list[ast.arg] = []
        kw_defaults: list[Any] = []
        vararg = kwarg = None
        star_seen = False
        bare_star: int | None = None
        names: set[str] = set()
        items = [] if params is None else [p for p in params.children if p is not None]
        for item in items:
            start = self.span(item)[0]
            if kwarg is not None:
                self.refuse("arguments cannot follow var-keyword argument", start)
            kind = item.data
            if kind == "slash":
                if star_seen:
                    self.refuse("/ must be ahead of *", start)
                if posonly:
                    self.refuse("/ may appear only once", start)
                if not args:
                    self.refuse("at least one argument must precede /", start)
                posonly, args = args, []
                continue
            if kind in ("starparam", "lambda_starparam"):
                if star_seen:
                    self.refuse("* argument may appear only once", start)
                star_seen = True
                if item.children[0] is None:
                    bare_star = start
                else:
                    vararg = self._arg(item.children[0])
                    self._unique(names, vararg.arg, start)
                continue
            if kind in ("kwparam", "lambda_kwparam"):
                kwarg = self._arg(item.children[0])
                self._unique(names, kwarg.arg, start)
                continue
            arg = self._arg(item.children[0])
            self._unique(names, arg.arg, start)
            default = None if item.children[1] is None else self.expr(item.children[1])
            if star_seen:
                kwonly.append(arg)
                kw_defaults.append(default)
                bare_star = None
            else:
                if default is None and defaults:
                    self.refuse("non-default argument follows default argument", start)
                args.append(arg)
                if default is not None:
                    defaults.append(default)
        if bare_star is not None:
            self.refuse("named arguments must follow bare *", bare_star)
        return ast.arguments(
            posonlyargs=posonly,
            args=args,
            vararg=vararg,
            kwonlyargs=kwonly,
            kw_defaults=kw_defaults,
            kwarg=kwarg,
            defaults=defaults,
        )

    def _unique(self, names: set[str], name: str, start: int) -> None:
        if name in names:
            self.refuse(f"duplicate argument '{name}' in function definition", start)
        names.add(name)

    # -- refused statements -------------------------------------------------

    def s_classdef(self, t: Node) -> NoReturn:
        self.refuse_at_keyword(t, "classes are not supported in Flowmetal")

    def s_decorated(self, t: Node) -> NoReturn:
        self.refuse_at_keyword(t, "decorators are not supported in Flowmetal")

    def s_async_stmt(self, t: Node) -> NoReturn:
        self.refuse_at_keyword(t, ASYNC_MESSAGE)
