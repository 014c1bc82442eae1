"""Name resolution: which variable each name in a program refers to.

The first stage after parsing. It walks the `ast.Module` once to find every
scope (the module, each def and lambda, each comprehension — comprehensions
are scopes of their own, as in Python 3) and the names each binds, declares
(`global`, `nonlocal`) and uses; then it decides, with Python's rules, where
every name lives:

* module scope: every name is a module global (falling back to builtins);
* function scope: a name bound anywhere in the function is local, unless
  declared `global` or `nonlocal`; a local that an inner scope uses is a
  *cell* variable; a name an inner scope takes from an enclosing function
  is a *free* variable of it and of every scope in between; anything else
  is global.

The compiler asks `Scope.lookup(name)` for each name it compiles.
"""

from __future__ import annotations

import ast
from typing import Literal

from flowmetal.errors import CompileError

ScopeKind = Literal["module", "function", "lambda", "comprehension"]
Where = Literal["fast", "deref", "global"]

COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class Scope:
    """One scope: what it binds and uses, and after `analyze`, where its names live."""

    def __init__(self, kind: ScopeKind, node: ast.AST, name: str, parent: Scope | None) -> None:
        self.kind = kind
        self.node = node
        self.name = name
        self.parent = parent
        self.children: list[Scope] = []
        self.params: list[str] = []
        self.bound: dict[str, ast.AST] = {}  # ordered: first binding first
        self.used: dict[str, ast.AST] = {}
        self.globals: dict[str, ast.AST] = {}
        self.nonlocals: dict[str, ast.AST] = {}
        # Filled by analyze():
        self.varnames: list[str] = []
        self.cellvars: list[str] = []
        self.freevars: list[str] = []
        self._local: set[str] = set()

    def is_function(self) -> bool:
        return self.kind != "module"

    def lookup(self, name: str) -> tuple[Where, int | str]:
        """Where `name` lives in this scope: a local slot, a cell index, or a global name."""
        if self.kind == "module" or name in self.globals:
            return ("global", name)
        if name in self.cellvars:
            return ("deref", self.cellvars.index(name))
        if name in self.freevars:
            return ("deref", len(self.cellvars) + self.freevars.index(name))
        if name in self._local:
            return ("fast", self.varnames.index(name))
        return ("global", name)

    def cell_index(self, name: str) -> int:
        """The index in this scope's cells of a name an inner function closes over."""
        if name in self.cellvars:
            return self.cellvars.index(name)
        return len(self.cellvars) + self.freevars.index(name)


class _Collector(ast.NodeVisitor):
    """Walks one program and builds its tree of scopes."""

    def __init__(self, filename: str, source_lines: list[str]) -> None:
        self.filename = filename
        self.source_lines = source_lines
        self.scopes: dict[int, Scope] = {}
        self.scope: Scope = Scope("module", ast.Module(body=[], type_ignores=[]), "<module>", None)

    def error(self, node: ast.AST, message: str) -> CompileError:
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0) + 1
        text = self.source_lines[line - 1] if 0 < line <= len(self.source_lines) else ""
        return CompileError(message, self.filename, line, col, text)

    def bind(self, name: str, node: ast.AST) -> None:
        self.scope.bound.setdefault(name, node)

    def use(self, name: str, node: ast.AST) -> None:
        self.scope.used.setdefault(name, node)

    def enter(self, kind: ScopeKind, node: ast.AST, name: str) -> Scope:
        scope = Scope(kind, node, name, self.scope)
        self.scope.children.append(scope)
        self.scopes[id(node)] = scope
        return scope

    # -- scopes -------------------------------------------------------------------------

    def visit_Module(self, node: ast.Module) -> None:
        self.scope = Scope("module", node, "<module>", None)
        self.scopes[id(node)] = self.scope
        for stmt in node.body:
            self.visit(stmt)

    def _arguments_outside(self, args: ast.arguments) -> None:
        for d in args.defaults:
            self.visit(d)
        for kd in args.kw_defaults:
            if kd is not None:
                self.visit(kd)

    def _params(self, args: ast.arguments) -> list[str]:
        names = [a.arg for a in args.posonlyargs + args.args]
        if args.vararg:
            names.append(args.vararg.arg)
        names += [a.arg for a in args.kwonlyargs]
        if args.kwarg:
            names.append(args.kwarg.arg)
        return names

    def _function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, name: str
    ) -> None:
        self._arguments_outside(node.args)
        kind: ScopeKind = "lambda" if isinstance(node, ast.Lambda) else "function"
        outer = self.scope
        scope = self.enter(kind, node, name)
        scope.params = self._params(node.args)
        if len(set(scope.params)) != len(scope.params):
            raise self.error(node, "duplicate argument in function definition")
        for p in scope.params:
            scope.bound.setdefault(p, node)
        self.scope = scope
        if isinstance(node, ast.Lambda):
            self.visit(node.body)
        else:
            for stmt in node.body:
                self.visit(stmt)
        self.scope = outer

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.decorator_list:
            raise self.error(node.decorator_list[0], "decorators are not supported")
        self.bind(node.name, node)
        self._function(node, node.name)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        if node.decorator_list:
            raise self.error(node.decorator_list[0], "decorators are not supported")
        self.bind(node.name, node)
        self._function(node, node.name)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._function(node, "<lambda>")

    def _comprehension(self, node: ast.AST, name: str) -> None:
        generators: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        # The first iterable is evaluated in the enclosing scope, as in Python.
        self.visit(generators[0].iter)
        outer = self.scope
        scope = self.enter("comprehension", node, name)
        scope.params = [".0"]
        scope.bound[".0"] = node
        self.scope = scope
        for i, gen in enumerate(generators):
            if gen.is_async:
                raise self.error(gen.target, "async comprehensions are not supported")
            self.visit(gen.target)
            if i:
                self.visit(gen.iter)
            for cond in gen.ifs:
                self.visit(cond)
        if isinstance(node, ast.DictComp):
            self.visit(node.key)
            self.visit(node.value)
        else:
            self.visit(node.elt)  # type: ignore[attr-defined]
        self.scope = outer

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node, "<listcomp>")

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self._comprehension(node, "<setcomp>")

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node, "<dictcomp>")

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self._comprehension(node, "<genexpr>")

    # -- bindings and uses --------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.use(node.id, node)
        else:
            self.bind(node.id, node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.bind(alias.asname or alias.name.split(".")[0], node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                raise self.error(node, "'from ... import *' is not supported")
            self.bind(alias.asname or alias.name, node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.bind(node.name, node)
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        raise self.error(node, "assignment expressions (:=) are not supported")

    def _declare(
        self, node: ast.Global | ast.Nonlocal, table: dict[str, ast.AST], what: str
    ) -> None:
        for name in node.names:
            if name in self.scope.bound or name in self.scope.used:
                if name in self.scope.params:
                    raise self.error(node, f"name '{name}' is parameter and {what}")
                raise self.error(node, f"name '{name}' is used prior to {what} declaration")
            table[name] = node

    def visit_Global(self, node: ast.Global) -> None:
        if self.scope.kind == "module":
            return
        self._declare(node, self.scope.globals, "global")

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        if self.scope.kind == "module":
            raise self.error(node, "nonlocal declaration not allowed at module level")
        self._declare(node, self.scope.nonlocals, "nonlocal")


def _analyze(scope: Scope, enclosing: set[str], col: _Collector) -> set[str]:
    """Decide local/cell/free for `scope` and its children; return the names it needs from above."""
    if scope.kind == "module":
        local: set[str] = set()
        visible: set[str] = set()
    else:
        local = {n for n in scope.bound if n not in scope.globals and n not in scope.nonlocals}
        for name, node in scope.nonlocals.items():
            if name not in enclosing:
                raise col.error(node, f"no binding for nonlocal '{name}' found")
        visible = (enclosing | local) - set(scope.globals)
    scope._local = local
    free: set[str] = set()
    cells: set[str] = set()
    for child in scope.children:
        for name in _analyze(child, visible, col):
            if name in local:
                cells.add(name)
            else:
                free.add(name)
    if scope.kind != "module":
        for name in list(scope.used) + list(scope.nonlocals):
            if name in local or name in scope.globals:
                continue
            if name in scope.nonlocals or name in enclosing:
                free.add(name)
        for name in scope.bound:
            if name in scope.nonlocals:
                free.add(name)
    scope.cellvars = sorted(cells)
    scope.freevars = sorted(free)
    params = scope.params
    scope.varnames = params + [n for n in scope.bound if n in local and n not in params]
    return free


def resolve(module: ast.Module, filename: str, source: str) -> dict[int, Scope]:
    """Every scope of `module`, keyed by `id()` of its AST node (the Module, a def, ...)."""
    col = _Collector(filename, source.splitlines())
    col.visit(module)
    _analyze(col.scopes[id(module)], set(), col)
    return col.scopes
