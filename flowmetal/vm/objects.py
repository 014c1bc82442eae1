"""The VM's own values: functions, cells, iterators, modules, effect handles.

These are the values a program can hold besides plain data (values.py).
Each is a small class of plain fields so that a snapshot can store it: a
function is a code index plus its defaults and closure cells, an iterator is
(sequence, position), a module is a name. None holds a Python callable or a
live Python iterator.

Their Python `__name__` is set to what Python would call the type
(`function`, `cell`, ...) so that native error messages read like Python's
("'function' object is not subscriptable").
"""

from __future__ import annotations

import sys
from typing import Any


class _Unbound:
    """The value of a variable that has not been assigned (or was deleted)."""

    _instance: _Unbound | None = None

    def __new__(cls) -> _Unbound:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unbound>"


UNBOUND: Any = _Unbound()


class Function:
    """A Flowmetal function: code (by index into the program), defaults, closure."""

    __slots__ = ("code_index", "name", "qualname", "defaults", "kwdefaults", "closure")

    def __init__(
        self,
        code_index: int,
        name: str,
        qualname: str,
        defaults: tuple[Any, ...],
        kwdefaults: dict[str, Any],
        closure: tuple[Cell, ...],
    ) -> None:
        self.code_index = code_index
        self.name = name
        self.qualname = qualname
        self.defaults = defaults
        self.kwdefaults = kwdefaults
        self.closure = closure

    def __repr__(self) -> str:
        return f"<function {self.qualname}>"


class Cell:
    """A variable shared between a function and the functions nested in it."""

    __slots__ = ("value",)

    def __init__(self, value: Any = UNBOUND) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<cell>"


class SeqIter:
    """An iterator as plain data: a sequence and a position.

    `watch`, when set, is the dict/set/view the sequence was copied from:
    if its size changes during the loop, iteration fails as in Python.
    It also implements Python's iterator protocol so that native builtins
    (list(), sum(), next()) can consume it.
    """

    __slots__ = ("seq", "index", "watch", "size")

    def __init__(self, seq: Any, index: int = 0, watch: Any = None, size: int = 0) -> None:
        self.seq = seq
        self.index = index
        self.watch = watch
        self.size = size

    def check(self) -> None:
        if self.watch is not None and len(self.watch) != self.size:
            kind = "Set" if isinstance(self.watch, set) else "dictionary"
            raise RuntimeError(f"{kind} changed size during iteration")

    def __iter__(self) -> SeqIter:
        return self

    def __next__(self) -> Any:
        self.check()
        i = self.index
        if i < length(self.seq):
            self.index = i + 1
            return self.seq[i]
        raise StopIteration

    def __repr__(self) -> str:
        return "<iterator>"


def length(seq: Any) -> int:
    """len(seq), also for a range longer than sys.maxsize (where len() overflows)."""
    try:
        return len(seq)
    except OverflowError:
        r: range = seq
        return max(0, (r.stop - r.start + r.step - (1 if r.step > 0 else -1)) // r.step)


def pending_count(x: Any) -> int | None:
    """How many items `pending_range(x)` holds, saturating at sys.maxsize (len() of a range
    longer than that raises OverflowError)."""
    pending = pending_range(x)
    if pending is None:
        return None
    try:
        return len(pending)
    except OverflowError:
        return sys.maxsize


def check_pending(ctx: Any, x: Any) -> None:
    """Raise through `ctx.check_size` if `x` is a range, or an iterator over one, with more
    items than the size limit: what native code calls before it walks a program's iterable."""
    pending = pending_range(x)
    if pending is not None:
        ctx.check_size(pending)


def pending_range(x: Any) -> range | None:
    """The items still to come from a range, or from an iterator over one, as a range.

    Their items do not exist yet, so nothing else bounds how many there are: native code
    checks the size limit on this range (O(1)) before it walks them. None for any other
    value (a list, or an iterator over one, is as big as it already is)."""
    if type(x) is range:
        return x
    if type(x) is SeqIter and type(x.seq) is range:
        return x.seq[x.index :]
    return None


class Module:
    """A standard module (`flow.time`): a name; its contents live in the VM's module table."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<module '{self.name}'>"


class Response:
    """The answer to flow.http.request: .status .headers .text, .json(), .raise_for_status()."""

    __slots__ = ("status", "headers", "text", "url", "method")

    def __init__(
        self, status: int, headers: dict[str, Any], text: str, url: str = "", method: str = ""
    ) -> None:
        self.status = status
        self.headers = headers
        self.text = text
        self.url = url
        self.method = method

    def __repr__(self) -> str:
        return f"<Response [{self.status}]>"


class Callback:
    """A callback URL made by flow.http.callback.new(); `await cb.event` waits for its delivery."""

    __slots__ = ("id", "url")

    def __init__(self, id: str, url: str) -> None:
        self.id = id
        self.url = url

    def __repr__(self) -> str:
        return f"<Callback {self.id}>"


class CallbackEvent:
    """The awaitable half of a Callback."""

    __slots__ = ("id",)

    def __init__(self, id: str) -> None:
        self.id = id

    def __repr__(self) -> str:
        return f"<CallbackEvent {self.id}>"


class TaskHandle:
    """A child task started by flow.task.spawn; `await` it for its result."""

    __slots__ = ("id",)

    def __init__(self, id: str) -> None:
        self.id = id

    def __repr__(self) -> str:
        return f"<TaskHandle {self.id}>"


class TimeoutCM:
    """flow.time.timeout(seconds): a `with` block that raises Timeout at a wait past the deadline.

    state: "new" (not entered), "active", "expired" (the timer fired, Timeout
    not raised yet), "fired" (Timeout raised), "done" (the block was left).
    """

    __slots__ = ("seconds", "timer_id", "state")

    def __init__(self, seconds: float, timer_id: str = "", state: str = "new") -> None:
        self.seconds = seconds
        self.timer_id = timer_id
        self.state = state

    def __repr__(self) -> str:
        return f"<timeout {self.seconds}s>"


class ForeverCM:
    """flow.time.forever(): a `with` block with no deadline."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<forever>"


class Wait:
    """What a suspended task waits for. kind: request | timer | message | all | any.

    `ids` are the request ids waited on; `mode` says how a response value is
    turned into the program's value: plain | http | callback | child.
    """

    __slots__ = ("kind", "ids", "mode", "label")

    def __init__(self, kind: str, ids: list[str], mode: str = "plain", label: str = "") -> None:
        self.kind = kind
        self.ids = ids
        self.mode = mode
        self.label = label

    def describe(self) -> str:
        if self.kind == "message":
            return "message"
        if self.label:
            return f"{self.label} {', '.join(self.ids)}"
        return f"{self.kind} {', '.join(self.ids)}"


for _cls, _name in [
    (Function, "function"),
    (Cell, "cell"),
    (SeqIter, "iterator"),
    (Module, "module"),
    (Response, "Response"),
    (Callback, "Callback"),
    (CallbackEvent, "CallbackEvent"),
    (TaskHandle, "TaskHandle"),
    (TimeoutCM, "timeout"),
    (ForeverCM, "forever"),
]:
    _cls.__name__ = _name
    _cls.__qualname__ = _name
    _cls.flow_type_name = _name  # type: ignore[attr-defined]  # read by builtins.type_name
