"""The dispatch loop: runs Flowmetal frames, unwinds exceptions, calls functions.

The VM is a stack machine in the byterun style — one method per opcode
(ops_data.py, ops_flow.py, ops_call.py), dispatched from a table built once
— but its frames live in an explicit list, `self.frames`. A Flowmetal call
pushes a Frame and the loop carries on with it; a return pops it. Nothing
recurses through Python, so between any two instructions the whole state of
a task is data that a snapshot can store.

Control leaves the loop by a few Python exceptions of our own, which derive
from BaseException so that no `except Exception` in native code can swallow
them:

  FlowRaise   a Flowmetal exception is being raised (caught here, unwound)
  _Returned   the frame at the loop's base returned
  _Suspend    the task waits for a message (effects.py)
  _Uncaught   no handler above the base caught an exception
"""

from __future__ import annotations

from typing import Any

from flowmetal.compile.code import Program
from flowmetal.compile.opcodes import BLOCK_EXCEPT, BLOCK_EXCEPT_HANDLER, OPNAMES
from flowmetal.vm.builtins import BUILTINS, Prospective, call_builtin, type_name
from flowmetal.vm.calls import bind_arguments
from flowmetal.vm.exceptions import EXC_TYPES, exc_str, from_python, new_exc
from flowmetal.vm.frame import Frame
from flowmetal.vm.limits import Limits
from flowmetal.vm.objects import Cell, Function, Wait
from flowmetal.vm.values import Builtin, ExcType, ExcValue


class FlowRaise(BaseException):
    """A Flowmetal exception travelling through Python code (ours or native)."""

    def __init__(self, exc: ExcValue, fresh: bool = True) -> None:
        super().__init__(exc)
        self.exc = exc
        self.fresh = fresh  # True: raised here, so the traceback starts at this frame


class _Returned(BaseException):
    def __init__(self, value: Any) -> None:
        self.value = value


class Suspend(BaseException):
    """The current frame stack waits for a message; raised by effects."""


class Uncaught(BaseException):
    def __init__(self, exc: ExcValue) -> None:
        self.exc = exc


def error(type_name_: str, message: str) -> FlowRaise:
    """A fresh Flowmetal exception to `raise` from an opcode or effect."""
    return FlowRaise(new_exc(type_name_, message))


class Machine:
    """Frames, globals and the loop. Opcode methods come from the mixins in ops_*.py."""

    DISPATCH: list[Any] = []  # filled once, after the VM class is assembled (vm.py)

    def __init__(self, program: Program, limits: Limits) -> None:
        self.program = program
        self.codes = program.codes
        self.limits = limits
        self.globals: dict[str, Any] = {}
        self.frames: list[Frame] = []
        self.base = 0  # frames below this index belong to an outer (native-calling) loop
        self.nested = 0  # depth of native code calling back into Flowmetal
        self.fuel_left = 0
        self.printed: list[str] = []  # lines printed during the current step
        self.max_int_bits = limits.max_collection * 4

    # -- the loop -----------------------------------------------------------------------

    def execute(self, budget: int, base: int = 0) -> tuple[str, Any]:
        """Run until the frame at `base` returns ("return", value), the budget is spent
        ("yield", None) or the task waits ("suspend", None). Raises Uncaught."""
        frames = self.frames
        dispatch = self.DISPATCH
        saved_base = self.base
        self.base = base
        remaining = budget
        n = -1
        try:
            while True:
                try:
                    # A for loop over a range is the cheapest instruction counter in Python;
                    # after an exception `n` says how far it got.
                    n = -1
                    for n in range(remaining):  # noqa: B007 (read after the loop)
                        f = frames[-1]
                        pc = f.pc
                        f.pc = pc + 1
                        dispatch[f.ops[pc]](self, f, f.args[pc])
                    remaining = 0
                    return ("yield", None)
                except FlowRaise as e:
                    remaining -= n + 1
                    if e.fresh:
                        self._stamp(e.exc)
                    self.unwind(e.exc, base)
                except _Returned as r:
                    remaining -= n + 1
                    return ("return", r.value)
                except Suspend:
                    remaining -= n + 1
                    return ("suspend", None)
        finally:
            self.base = saved_base
            self.fuel_left = remaining

    def _stamp(self, exc: ExcValue) -> None:
        """Start the traceback of a freshly raised exception at the current frame."""
        f = self.frames[-1]
        exc.traceback = [self.entry(f)]
        handled = self.handled_exception()
        if handled is not None and handled is not exc:
            # Python's rule: the exception being handled becomes the context, replacing an
            # older one (`raise e` of a saved exception); a chain from it that leads back to
            # `exc` is cut there, so contexts never form a loop. The walk is bounded: a
            # snapshot made before this rule may hold a loop already.
            link, seen = handled, set()
            while link.context is not None and id(link) not in seen:
                seen.add(id(link))
                if link.context is exc:
                    link.context = None
                    break
                link = link.context
            exc.context = handled

    def entry(self, f: Frame) -> tuple[str, int, str]:
        return (f.code.filename, f.line(), f.code.name)

    def handled_exception(self) -> ExcValue | None:
        """The exception being handled, as Python's sys.exception(): the innermost `except`
        body running in any frame of the task."""
        for f in reversed(self.frames):
            for block in reversed(f.blocks):
                if block[0] == BLOCK_EXCEPT_HANDLER:
                    return block[3]
        return None

    def unwind(self, exc: ExcValue, base: int) -> None:
        """Find the handler for `exc`, popping blocks and frames; raise Uncaught if none."""
        frames = self.frames
        while len(frames) > base:
            f = frames[-1]
            blocks = f.blocks
            while blocks:
                kind, handler, depth, _ = blocks.pop()
                if kind == BLOCK_EXCEPT_HANDLER:
                    continue  # leaving an except body: its exception is no longer handled
                del f.stack[depth:]
                if kind == BLOCK_EXCEPT:
                    blocks.append((BLOCK_EXCEPT_HANDLER, handler, depth, exc))
                f.stack.append(exc)
                f.pc = handler
                return
            frames.pop()
            if len(frames) > base:
                exc.traceback.insert(0, self.entry(frames[-1]))
        raise Uncaught(exc)

    def throw(self, exc: ExcValue) -> None:
        """Raise `exc` in the top frame at its current instruction (a wait point)."""
        self._stamp(exc)
        self.unwind(exc, 0)

    # -- calls --------------------------------------------------------------------------

    def push_frame(self, fn: Function, args: Any, kwargs: dict[str, Any] | None) -> None:
        if len(self.frames) >= self.limits.max_depth:
            raise error("RecursionError", "maximum recursion depth exceeded")
        code = self.codes[fn.code_index]
        frame = Frame(code, fn)
        if not kwargs and code.plain_args and len(args) == code.argcount:
            frame.locals[: code.argcount] = args  # the common case: f(a, b) for def f(a, b)
        else:
            message = bind_arguments(frame.locals, code, fn, args, kwargs)
            if message is not None:
                raise error("TypeError", message)
        if code.cellvars or code.freevars:
            cells = [Cell() for _ in code.cellvars]
            cells.extend(fn.closure)
            for local, cell in code.cell_params:
                cells[cell].value = frame.locals[local]
            frame.cells = cells
        self.frames.append(frame)

    def call_value(self, fn: Any, args: Any, kwargs: dict[str, Any] | None) -> None:
        """Call `fn`: a Flowmetal function gets a new frame; anything else pushes its result."""
        t = type(fn)
        if t is Function:
            self.push_frame(fn, args, kwargs)
            return
        if t is Builtin:
            result = self.call_native(fn, args, kwargs)
            if type(result) is Wait:
                self.begin_wait(result)  # pushes the value, raises, or suspends
                return
        elif t is ExcType:
            if kwargs:
                raise error("TypeError", f"{fn.name}() takes no keyword arguments")
            result = ExcValue(fn, tuple(args))
        else:
            raise error("TypeError", f"'{type_name(fn)}' object is not callable")
        self.frames[-1].stack.append(result)

    def call_native(self, fn: Builtin, args: Any, kwargs: dict[str, Any] | None) -> Any:
        try:
            return call_builtin(fn, self, tuple(args), kwargs or {})  # type: ignore[arg-type]
        except Exception as exc:  # native code reports program errors as Python exceptions
            raise FlowRaise(from_python(exc)) from None

    # Implemented by effects.EffectState, which comes later in the VM's bases.
    def begin_wait(self, wait: Wait) -> None:
        raise NotImplementedError

    def enter_timeout(self, cm: Any) -> None:
        raise NotImplementedError

    def exit_timeout(self, cm: Any) -> None:
        raise NotImplementedError

    # -- the CallContext that native code sees ------------------------------------------

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a Flowmetal or native callable to completion for native code (sorted's key=)."""
        t = type(fn)
        if t is Builtin:
            result = self.call_native(fn, args, kwargs)
            if type(result) is Wait:
                raise error("RuntimeError", f"{fn.name}() cannot wait inside a call from a builtin")
            return result
        if t is ExcType:
            return ExcValue(fn, tuple(args))
        if t is not Function:
            raise TypeError(f"'{type_name(fn)}' object is not callable")
        base = len(self.frames)
        self.push_frame(fn, args, kwargs)
        self.nested += 1
        try:
            kind, value = self.execute(self.limits.fuel * 10, base)
        except Uncaught as u:
            exc = u.exc
            exc.traceback.insert(0, self.entry(self.frames[-1]))
            raise FlowRaise(exc, fresh=False) from None
        finally:
            self.nested -= 1
        if kind != "return":
            del self.frames[base:]
            raise error("LimitExceeded", "a function called from a builtin ran out of fuel")
        return value

    def output(self, text: str) -> None:
        self.printed.append(text)

    def check_size(self, value: Any) -> Any:
        if type(value) is Prospective:  # a string not built yet
            self.check_count(value.n, "result", "characters")
            return value
        try:
            n = len(value)
        except OverflowError:  # a range longer than any real collection
            n = self.limits.max_collection + 1
            if isinstance(value, range):
                n = max(n, (value.stop - value.start) // (value.step or 1))
        if n > self.limits.max_collection:
            unit = "characters" if type(value) is str else "elements"
            self.check_count(n, type_name(value), unit)
        return value

    def check_count(self, n: int, what: str = "result", unit: str = "elements") -> None:
        """Raise LimitExceeded if `what`, of `n` elements (or characters), is past the size limit.

        `what` names the value the limit applies to: the type of one that
        exists (`list of ...`), or `result` for one refused before it is built.
        """
        if n > self.limits.max_collection:
            raise error(
                "LimitExceeded",
                f"{what} of {n} {unit} is over the limit of {self.limits.max_collection}",
            )

    # -- names --------------------------------------------------------------------------

    def lookup_global(self, name: str) -> Any:
        try:
            return self.globals[name]
        except KeyError:
            pass
        try:
            return BUILTINS[name]
        except KeyError:
            raise error("NameError", f"name '{name}' is not defined") from None


def render_traceback(program: Program, exc: ExcValue) -> str:
    """Python's traceback text for a Flowmetal exception, chained contexts first."""
    parts: list[str] = []
    # (exception, the line printed after its traceback), the outermost first, as
    # Python's traceback module walks the chain: the cause if there is one,
    # otherwise the context unless `raise ... from` suppressed it.
    chain: list[tuple[ExcValue, str]] = []
    e: ExcValue | None = exc
    link = ""
    while e is not None and all(e is not c for c, _ in chain) and len(chain) < 10:
        chain.append((e, link))
        if e.cause is not None:
            e, link = e.cause, _CAUSE
        elif e.context is not None and not e.suppress_context:
            e, link = e.context, _CONTEXT
        else:
            e = None
    for e, link in reversed(chain):
        parts.append("Traceback (most recent call last):\n")
        tb = e.traceback
        i = 0
        while i < len(tb):  # a run of identical entries prints 3 times, as in Python
            j = i
            while j < len(tb) and tb[j] == tb[i]:
                j += 1
            file, line, name = tb[i]
            text = program.source_line(line).strip()
            for _ in range(min(j - i, 3)):
                parts.append(f'  File "{file}", line {line}, in {name}\n')
                if text:
                    parts.append(f"    {text}\n")
            if j - i > 3:
                parts.append(f"  [Previous line repeated {j - i - 3} more times]\n")
            i = j
        parts.append(exc_line(e) + "\n")
        parts.append(link)
    return "".join(parts)


_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def exc_line(e: ExcValue) -> str:
    message = exc_message(e)
    return f"{e.type.name}: {message}" if message else e.type.name


def exc_message(e: ExcValue) -> str:
    try:
        return exc_str(e)
    except Exception:  # a message that cannot render must not hide the error itself
        return repr(e.args)


def opcode_method_names() -> list[str]:
    return ["op_" + name for name in OPNAMES]


__all__ = ["EXC_TYPES", "FlowRaise", "Machine", "Suspend", "Uncaught", "error", "render_traceback"]
