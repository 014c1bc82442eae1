"""The values a Flowmetal program handles, and the contract between the VM and native code.

Flowmetal's plain values are the Python objects themselves: None, bool,
int (any size), float, str, list, dict, tuple, set, frozenset. Their
semantics are then Python's by construction, and builtins and methods are
thin, whitelisted wrappers around Python's own.

Everything else a program can touch is one of the classes below or a class
defined by the VM (functions, cells, ...). None of them holds a Python
callable that a snapshot could name: a `Builtin` is stored in a snapshot by
its `name` and looked up again in the builtin table when the snapshot is
read.

Native code (builtins, methods, standard modules) follows two rules:

* it raises ordinary Python exceptions (TypeError, ValueError, KeyError,
  IndexError, ZeroDivisionError, AttributeError, OverflowError, ...) and the
  VM turns them into the Flowmetal exception of the same name at the
  program's current line (`exceptions.from_python`);
* when it must call back into Flowmetal code (the `key=` of sorted, the
  function given to map), it is declared with `needs_vm=True`, receives the
  VM's `CallContext` as its first argument, and calls `ctx.call(f, *args)`.
  Such a callback runs to completion inside the current step and may not
  suspend (a request inside a sort key is an error): suspension points are
  only ever in the program's own frames.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class CallContext(Protocol):
    """What native code may ask of the VM."""

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Call a Flowmetal (or native) callable to completion and return its value."""
        ...

    def output(self, text: str) -> None:
        """Record one line the program printed (the host decides where it goes)."""
        ...

    def check_size(self, value: Any) -> Any:
        """Raise if `value` (a str or collection) is past the task's size limit; return it."""
        ...

    def check_count(self, n: int, what: str = "result", unit: str = "elements") -> None:
        """Raise if `n` items (of `what`) are past the task's size limit."""
        ...


class Builtin:
    """A native function visible to programs: `len`, `str.split` bound to a string, `flow.json.dumps`."""

    __slots__ = ("name", "fn", "needs_vm", "bound_self")

    def __init__(
        self,
        name: str,
        fn: Callable[..., Any],
        needs_vm: bool = False,
        bound_self: Any = None,
    ) -> None:
        self.name = name  # unique key in the builtin registry; what a snapshot stores
        self.fn = fn
        self.needs_vm = needs_vm
        self.bound_self = bound_self  # for methods: the receiver (snapshot stores it as a value)

    def __repr__(self) -> str:
        if self.bound_self is not None:
            return f"<built-in method {self.name.rsplit('.', 1)[-1]}>"
        return f"<built-in function {self.name}>"


class ExcType:
    """A Flowmetal exception class: `ValueError`, `Timeout`, ... (single inheritance)."""

    __slots__ = ("name", "parent")

    def __init__(self, name: str, parent: ExcType | None) -> None:
        self.name = name
        self.parent = parent

    def is_subclass_of(self, other: ExcType) -> bool:
        t: ExcType | None = self
        while t is not None:
            if t is other:
                return True
            t = t.parent
        return False

    def __repr__(self) -> str:
        return f"<class '{self.name}'>"


class ExcValue:
    """A Flowmetal exception instance: its class, its `args`, and where it was raised.

    The chaining fields are Python's: `context` is the exception being handled
    when this one was raised (`__context__`), `cause` the one named by
    `raise ... from` (`__cause__`), and `suppress_context` is set by any
    `raise ... from` (even `from None`) so that tracebacks show the cause, or
    nothing, instead of the context (`__suppress_context__`).
    """

    __slots__ = ("type", "args", "traceback", "context", "cause", "suppress_context")

    def __init__(self, type_: ExcType, args: tuple[Any, ...]) -> None:
        self.type = type_
        self.args = args
        self.traceback: list[tuple[str, int, str]] = []  # (file, line, function), outermost first
        self.context: ExcValue | None = None
        self.cause: ExcValue | None = None
        self.suppress_context = False
