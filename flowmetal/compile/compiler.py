"""Compiling statements, functions and whole programs to code objects.

`compile_program(source, filename)` parses (flowmetal.syntax), resolves
names (resolve.py), and compiles every scope to a `Code`, module first.

Control flow that leaves a protected region (`return`, `break`, `continue`
out of try/finally, with, except bodies and for loops) is compiled by
*unwinding* the compiler's stack of open blocks: each block emits what it
needs to close (POP_BLOCK, POP_EXCEPT, popping a for-loop's iterator,
leaving a `with`), and a `finally` body is compiled inline once more at
that exit, as CPython does. A `return` inside blocks first saves its value
in the frame (SAVE_RETURN) so the unwinding code can run on a clean stack.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field

from flowmetal.compile import opcodes as op
from flowmetal.compile.builder import CodeBuilder
from flowmetal.compile.code import Code, Program
from flowmetal.compile.exprs import ExprCompiler, binop_index
from flowmetal.compile.resolve import Scope, resolve
from flowmetal.errors import CompileError
from flowmetal.syntax import parse


@dataclass
class _Block:
    """An open block in the compiler (not the VM): what leaving it early requires."""

    kind: str  # "for" | "while" | "try" | "finally" | "except" | "finally_exc" | "with"
    top: int = -1  # loops: continue target
    end: int = -1  # loops: break target
    finalbody: list[ast.stmt] = field(default_factory=list)


class _Unit:
    """Shared state of one program's compilation: the list of code objects."""

    def __init__(self, filename: str, source: str, scopes: dict[int, Scope]) -> None:
        self.filename = filename
        self.lines = source.splitlines()
        self.scopes = scopes
        self.codes: list[Code | None] = []


class FunctionCompiler(ExprCompiler):
    """Compiles one scope (module, def, lambda, comprehension) into one Code."""

    def __init__(self, unit: _Unit, node: ast.AST, scope: Scope, qualname: str) -> None:
        self.unit = unit
        self.node = node
        self.scope = scope
        self.qualname = qualname
        self.index = len(unit.codes)
        unit.codes.append(None)
        code = Code(
            index=self.index,
            name=scope.name,
            qualname=qualname,
            filename=unit.filename,
            firstlineno=getattr(node, "lineno", 1),
            varnames=list(scope.varnames),
            cellvars=list(scope.cellvars),
            freevars=list(scope.freevars),
        )
        for i, name in enumerate(scope.varnames):
            if name in scope.cellvars:
                code.cell_params.append((i, scope.cellvars.index(name)))
        code.cell_params = [(i, c) for i, c in code.cell_params if i < len(scope.params)]
        self.b = CodeBuilder(code)
        self.blocks: list[_Block] = []

    # -- plumbing -----------------------------------------------------------------------

    def error(self, node: ast.AST, message: str) -> CompileError:
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0) + 1
        text = self.unit.lines[line - 1] if 0 < line <= len(self.unit.lines) else ""
        return CompileError(message, self.unit.filename, line, col, text)

    def child_scope(self, node: ast.AST) -> Scope:
        return self.unit.scopes[id(node)]

    def compile_child(self, node: ast.AST, name: str) -> int:
        scope = self.child_scope(node)
        prefix = "" if self.scope.kind == "module" else f"{self.qualname}.<locals>."
        child = FunctionCompiler(self.unit, node, scope, prefix + name)
        child.compile_body()
        return child.index

    def compile_body(self) -> Code:
        node = self.node
        code = self.b.code
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            a = node.args
            code.posonlycount = len(a.posonlyargs)
            code.argcount = len(a.posonlyargs) + len(a.args)
            code.kwonlycount = len(a.kwonlyargs)
            code.varargs = a.vararg is not None
            code.varkw = a.kwarg is not None
            code.plain_args = not (code.varargs or code.varkw or code.kwonlycount)
        if isinstance(node, ast.Lambda):
            self.expr(node.body)
            self.b.emit(op.RETURN_VALUE)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Module):
            self.stmts(node.body)
            self.b.load_const(None)
            self.b.emit(op.RETURN_VALUE)
        else:
            code.argcount = 1
            code.plain_args = True
            self.comprehension_body(node)
        self.unit.codes[self.index] = self.b.finish()
        return code

    # -- statements ---------------------------------------------------------------------

    def stmts(self, body: list[ast.stmt]) -> None:
        for s in body:
            self.stmt(s)

    def stmt(self, node: ast.stmt) -> None:
        self.b.at(node)
        method = getattr(self, "stmt_" + type(node).__name__, None)
        if method is None:
            raise self.error(node, f"{_describe(node)} is not supported")
        method(node)

    def stmt_Expr(self, node: ast.Expr) -> None:
        self.expr(node.value)
        self.b.emit(op.POP_TOP)

    def stmt_Pass(self, node: ast.Pass) -> None:
        pass

    def stmt_Global(self, node: ast.Global) -> None:
        pass

    def stmt_Nonlocal(self, node: ast.Nonlocal) -> None:
        pass

    def stmt_Assign(self, node: ast.Assign) -> None:
        self.expr(node.value)
        for i, target in enumerate(node.targets):
            if i < len(node.targets) - 1:
                self.b.emit(op.DUP_TOP)
            self.assign_target(target)

    def stmt_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.expr(node.value)
            self.assign_target(node.target)

    def stmt_AugAssign(self, node: ast.AugAssign) -> None:
        target = node.target
        if isinstance(target, ast.Name):
            self.load_name(target.id)
            self.expr(node.value)
            self.b.at(node)
            self.b.emit(op.INPLACE, binop_index(node.op))
            self.store_name(target.id)
        elif isinstance(target, ast.Subscript):
            self.expr(target.value)
            self.expr(target.slice)
            self.b.emit(op.DUP_TOP_TWO)
            self.b.emit(op.BINARY_SUBSCR)
            self.expr(node.value)
            self.b.at(node)
            self.b.emit(op.INPLACE, binop_index(node.op))
            self.b.emit(op.ROT_THREE)
            self.b.emit(op.STORE_SUBSCR)
        else:
            raise self.error(target, "assignment to attributes is not supported")

    def stmt_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._delete(target)

    def _delete(self, target: ast.expr) -> None:
        self.b.at(target)
        if isinstance(target, ast.Name):
            self.delete_name(target.id)
        elif isinstance(target, ast.Subscript):
            self.expr(target.value)
            self.expr(target.slice)
            self.b.emit(op.DELETE_SUBSCR)
        elif isinstance(target, ast.Tuple | ast.List):
            for e in target.elts:
                self._delete(e)
        else:
            raise self.error(target, "cannot delete this target")

    def stmt_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.make_function(node, node.name)
        self.store_name(node.name)

    stmt_AsyncFunctionDef = stmt_FunctionDef  # `async def` is an ordinary function here

    def stmt_Return(self, node: ast.Return) -> None:
        if self.scope.kind == "module":
            raise self.error(node, "'return' outside function")
        if node.value is None:
            self.b.load_const(None)
        else:
            self.expr(node.value)
        self.b.at(node)
        if not self.blocks:
            self.b.emit(op.RETURN_VALUE)
            return
        self.b.emit(op.SAVE_RETURN)
        self._unwind(len(self.blocks), returning=True)
        self.b.emit(op.RETURN_SAVED)

    def _loop_depth(self, node: ast.stmt, what: str) -> int:
        for depth in range(len(self.blocks) - 1, -1, -1):
            if self.blocks[depth].kind in ("for", "while"):
                return depth
        raise self.error(node, f"'{what}' outside loop")

    def stmt_Break(self, node: ast.Break) -> None:
        depth = self._loop_depth(node, "break")
        loop = self.blocks[depth]
        self._unwind(len(self.blocks) - depth - 1, returning=False)
        if loop.kind == "for":
            self.b.emit(op.POP_TOP)  # the loop's iterator
        self.b.jump(op.JUMP, loop.end)

    def stmt_Continue(self, node: ast.Continue) -> None:
        depth = self._loop_depth(node, "continue")
        loop = self.blocks[depth]
        self._unwind(len(self.blocks) - depth - 1, returning=False)
        self.b.jump(op.JUMP, loop.top)

    def _unwind(self, count: int, returning: bool) -> None:
        """Emit the exits of the innermost `count` open blocks (for return/break/continue)."""
        saved = self.blocks
        try:
            for i in range(count):
                block = saved[len(saved) - 1 - i]
                # Code emitted for this exit runs outside the block being left.
                self.blocks = saved[: len(saved) - 1 - i]
                if block.kind == "for" and returning:
                    self.b.emit(op.POP_TOP)
                elif block.kind == "try":
                    self.b.emit(op.POP_BLOCK)
                elif block.kind == "finally":
                    self.b.emit(op.POP_BLOCK)
                    self.stmts(block.finalbody)
                elif block.kind == "except":
                    self.b.emit(op.POP_EXCEPT)
                elif block.kind == "finally_exc":
                    self.b.emit(op.POP_TOP)  # the exception the finally body was running for
                elif block.kind == "with":
                    self.b.emit(op.POP_BLOCK)
                    self.b.emit(op.WITH_EXIT)
        finally:
            self.blocks = saved

    def stmt_If(self, node: ast.If) -> None:
        orelse, end = self.b.label(), self.b.label()
        self.expr(node.test)
        self.b.jump(op.POP_JUMP_IF_FALSE, orelse)
        self.stmts(node.body)
        if node.orelse:
            self.b.jump(op.JUMP, end)
        self.b.mark(orelse)
        self.stmts(node.orelse)
        self.b.mark(end)

    def stmt_While(self, node: ast.While) -> None:
        top, orelse, end = self.b.label(), self.b.label(), self.b.label()
        self.b.mark(top)
        self.expr(node.test)
        self.b.jump(op.POP_JUMP_IF_FALSE, orelse)
        self.blocks.append(_Block("while", top, end))
        self.stmts(node.body)
        self.blocks.pop()
        self.b.jump(op.JUMP, top)
        self.b.mark(orelse)
        self.stmts(node.orelse)
        self.b.mark(end)

    def stmt_For(self, node: ast.For) -> None:
        top, orelse, end = self.b.label(), self.b.label(), self.b.label()
        self.expr(node.iter)
        self.b.at(node)
        self.b.emit(op.GET_ITER)
        self.b.mark(top)
        self.b.at(node)
        self.b.jump(op.FOR_ITER, orelse)
        self.assign_target(node.target)
        self.blocks.append(_Block("for", top, end))
        self.stmts(node.body)
        self.blocks.pop()
        self.b.jump(op.JUMP, top)
        self.b.mark(orelse)
        self.stmts(node.orelse)
        self.b.mark(end)

    def stmt_Raise(self, node: ast.Raise) -> None:
        if node.exc is None:
            self.b.emit(op.RAISE, 0)
            return
        self.expr(node.exc)
        if node.cause is not None:
            self.expr(node.cause)
            self.b.at(node)
            self.b.emit(op.RAISE, 2)
        else:
            self.b.at(node)
            self.b.emit(op.RAISE, 1)

    def stmt_Assert(self, node: ast.Assert) -> None:
        ok = self.b.label()
        self.expr(node.test)
        self.b.jump(op.POP_JUMP_IF_TRUE, ok)
        self.b.at(node)
        self.b.emit(op.LOAD_ASSERTION_ERROR)
        if node.msg is not None:
            self.expr(node.msg)
            self.b.at(node)
            self.b.emit(op.CALL, 1)
        self.b.emit(op.RAISE, 1)
        self.b.mark(ok)

    def stmt_Try(self, node: ast.Try) -> None:
        if node.finalbody:
            self._try_finally(node)
        else:
            self._try_except(node)

    def _try_finally(self, node: ast.Try) -> None:
        on_exc, end = self.b.label(), self.b.label()
        self.b.jump(op.SETUP_FINALLY, on_exc)
        self.blocks.append(_Block("finally", finalbody=node.finalbody))
        if node.handlers:
            self._try_except(node)
        else:
            self.stmts(node.body)
        self.blocks.pop()
        self.b.emit(op.POP_BLOCK)
        self.stmts(node.finalbody)
        self.b.jump(op.JUMP, end)
        self.b.mark(on_exc)  # stack: exc
        self.blocks.append(_Block("finally_exc"))
        self.stmts(node.finalbody)
        self.blocks.pop()
        self.b.emit(op.RERAISE)
        self.b.mark(end)

    def _try_except(self, node: ast.Try) -> None:
        handler_label, end = self.b.label(), self.b.label()
        self.b.jump(op.SETUP_EXCEPT, handler_label)
        self.blocks.append(_Block("try"))
        self.stmts(node.body)
        self.blocks.pop()
        self.b.emit(op.POP_BLOCK)
        self.stmts(node.orelse)
        self.b.jump(op.JUMP, end)
        self.b.mark(handler_label)  # stack: exc; the VM has opened an EXCEPT_HANDLER block
        for i, h in enumerate(node.handlers):
            self.b.at(h)
            nxt = self.b.label()
            if h.type is None:
                if i != len(node.handlers) - 1:
                    raise self.error(h, "default 'except:' must be last")
            else:
                self.b.emit(op.DUP_TOP)
                self.expr(h.type)
                self.b.at(h)
                self.b.emit(op.CHECK_EXC_MATCH)
                self.b.jump(op.POP_JUMP_IF_FALSE, nxt)
            self.blocks.append(_Block("except"))
            if h.name:
                self.store_name(h.name)
                self._named_handler_body(h, h.name)
            else:
                self.b.emit(op.POP_TOP)
                self.stmts(h.body)
            self.blocks.pop()
            self.b.emit(op.POP_EXCEPT)
            self.b.jump(op.JUMP, end)
            self.b.mark(nxt)
        self.b.emit(op.RERAISE)  # no clause matched
        self.b.mark(end)

    def _named_handler_body(self, h: ast.ExceptHandler, name: str) -> None:
        """`except E as name: body` is `try: body finally: name = None; del name`, as in
        Python: the name is unbound however the handler ends."""
        cleanup: list[ast.stmt] = [
            ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=ast.Constant(None)),
            ast.Delete(targets=[ast.Name(id=name, ctx=ast.Del())]),
        ]
        for stmt in cleanup:
            for node in ast.walk(stmt):
                ast.copy_location(node, h)
        on_exc, end = self.b.label(), self.b.label()
        self.b.jump(op.SETUP_FINALLY, on_exc)
        self.blocks.append(_Block("finally", finalbody=cleanup))
        self.stmts(h.body)
        self.blocks.pop()
        self.b.emit(op.POP_BLOCK)
        self.stmts(cleanup)
        self.b.jump(op.JUMP, end)
        self.b.mark(on_exc)  # stack: the exception raised inside the handler
        self.blocks.append(_Block("finally_exc"))
        self.stmts(cleanup)
        self.blocks.pop()
        self.b.emit(op.RERAISE)
        self.b.mark(end)

    def stmt_With(self, node: ast.With) -> None:
        self._with(node, 0)

    def _with(self, node: ast.With, i: int) -> None:
        item = node.items[i]
        on_exc, end = self.b.label(), self.b.label()
        self.expr(item.context_expr)
        self.b.at(node)
        self.b.emit(op.WITH_ENTER)
        if item.optional_vars is not None:
            self.assign_target(item.optional_vars)
        else:
            self.b.emit(op.POP_TOP)
        self.b.jump(op.SETUP_FINALLY, on_exc)
        self.blocks.append(_Block("with"))
        if i + 1 < len(node.items):
            self._with(node, i + 1)
        else:
            self.stmts(node.body)
        self.blocks.pop()
        self.b.emit(op.POP_BLOCK)
        self.b.emit(op.WITH_EXIT)
        self.b.jump(op.JUMP, end)
        self.b.mark(on_exc)  # stack: cm exc
        self.b.emit(op.ROT_TWO)
        self.b.emit(op.WITH_EXIT)
        self.b.emit(op.RERAISE)
        self.b.mark(end)

    def stmt_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(node, alias.name)
            if alias.asname:
                self.b.emit(op.IMPORT_NAME, self.b.name(alias.name))
                self.store_name(alias.asname)
            else:
                top = alias.name.split(".")[0]
                self.b.emit(op.IMPORT_NAME, self.b.name(top))
                self.store_name(top)

    def stmt_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:
            raise self.error(node, "relative imports are not supported")
        self._check_module(node, module)
        self.b.emit(op.IMPORT_NAME, self.b.name(module))
        for alias in node.names:
            if alias.name not in op.STANDARD_MODULES[module]:
                raise self.error(node, f"cannot import name '{alias.name}' from '{module}'")
            self.b.emit(op.IMPORT_FROM, self.b.name(alias.name))
            self.store_name(alias.asname or alias.name)
        self.b.emit(op.POP_TOP)

    def _check_module(self, node: ast.stmt, name: str) -> None:
        if name not in op.STANDARD_MODULES:
            known = ", ".join(m for m in op.STANDARD_MODULES if m != "flow")
            raise self.error(node, f"no module named '{name}' (Flowmetal has {known})")


def _describe(node: ast.AST) -> str:
    names = {
        "ClassDef": "class definition",
        "AsyncFor": "'async for'",
        "AsyncWith": "'async with'",
        "Match": "'match' statement",
        "TryStar": "'except*'",
    }
    return names.get(type(node).__name__, f"'{type(node).__name__}' statement")


def compile_program(source: str, filename: str = "<program>") -> Program:
    """Compile a Flowmetal source file. Raises FlowSyntaxError or CompileError."""
    module = parse(source, filename)
    return compile_module(module, source, filename)


def compile_module(module: ast.Module, source: str, filename: str) -> Program:
    """Compile an already-parsed module (the same AST `ast.parse` would give)."""
    scopes = resolve(module, filename, source)
    unit = _Unit(filename, source, scopes)
    top = FunctionCompiler(unit, module, scopes[id(module)], "<module>")
    top.compile_body()
    functions = [
        s.name for s in module.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    codes = [c for c in unit.codes if c is not None]
    if len(codes) != len(unit.codes):
        raise AssertionError("a code object was not finished")
    return Program(
        source=source,
        filename=filename,
        version=hashlib.sha256(source.encode("utf-8")).hexdigest(),
        codes=codes,
        functions=list(dict.fromkeys(functions)),
        bytecode_version=op.BYTECODE_VERSION,
    )
