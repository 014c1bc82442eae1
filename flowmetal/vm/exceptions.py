"""Flowmetal's exception classes, and the bridge from native Python exceptions.

Programs cannot define classes, so every exception class a program can name,
raise or catch is one of the `ExcType`s below, and a snapshot stores an
exception class by its name alone. The tree follows Python's where the names
overlap, so that `except LookupError` catches a `KeyError` as it would in
Python:

    BaseException
    ├── Cancelled               the task is being cancelled (see below)
    └── Exception
        ├── ValueError
        ├── TypeError
        ├── LookupError
        │   ├── KeyError
        │   └── IndexError
        ├── ArithmeticError
        │   ├── ZeroDivisionError
        │   └── OverflowError
        ├── AssertionError
        ├── NameError
        │   └── UnboundLocalError
        ├── RuntimeError
        │   ├── RecursionError
        │   └── NotImplementedError
        ├── AttributeError
        ├── StopIteration
        ├── Timeout             a flow.time.timeout block ran out of time
        ├── TaskFailed          an awaited child task failed
        ├── HTTPError           Response.raise_for_status() on a 4xx/5xx
        ├── ConnectorError      a connector could not serve a request
        └── LimitExceeded       a task limit (collection size, ...) was passed

Native code (builtins, methods, standard modules) raises ordinary Python
exceptions; the VM turns them into Flowmetal ones with `from_python`, which
keeps the class name when Flowmetal has it and otherwise walks up the Python
class hierarchy to the nearest name it knows (UnicodeDecodeError becomes
ValueError).
"""

from __future__ import annotations

from typing import Any

from flowmetal.vm.values import ExcType, ExcValue

# (name, parent name) in an order where each parent comes before its children.
_TREE: list[tuple[str, str | None]] = [
    ("BaseException", None),
    # Cancelled sits beside Exception, not under it, for the same reason as
    # asyncio.CancelledError: the usual retry idiom `except Exception:` must not
    # swallow a cancellation. The task still unwinds through its `finally`
    # blocks (so cleanup runs) and then ends as cancelled.
    ("Cancelled", "BaseException"),
    ("Exception", "BaseException"),
    ("ValueError", "Exception"),
    ("TypeError", "Exception"),
    ("LookupError", "Exception"),
    ("KeyError", "LookupError"),
    ("IndexError", "LookupError"),
    ("ArithmeticError", "Exception"),
    ("ZeroDivisionError", "ArithmeticError"),
    ("OverflowError", "ArithmeticError"),
    ("AssertionError", "Exception"),
    ("NameError", "Exception"),
    ("UnboundLocalError", "NameError"),
    ("RuntimeError", "Exception"),
    ("RecursionError", "RuntimeError"),
    ("NotImplementedError", "RuntimeError"),
    ("AttributeError", "Exception"),
    ("StopIteration", "Exception"),
    ("Timeout", "Exception"),
    ("TaskFailed", "Exception"),
    ("HTTPError", "Exception"),
    ("ConnectorError", "Exception"),
    ("LimitExceeded", "Exception"),
]


def _build_tree() -> dict[str, ExcType]:
    types: dict[str, ExcType] = {}
    for name, parent in _TREE:
        types[name] = ExcType(name, types[parent] if parent else None)
    return types


EXC_TYPES: dict[str, ExcType] = _build_tree()

# Python exceptions whose nearest Flowmetal relative is not found by name.
_ALIASES: dict[str, str] = {
    "LimitError": "LimitExceeded",  # flowmetal.errors.LimitError raised by a size check
    "MemoryError": "LimitExceeded",
    "TimeoutError": "Timeout",
}


def new_exc(type_name: str, *args: Any) -> ExcValue:
    """A fresh exception instance of the named Flowmetal class."""
    return ExcValue(EXC_TYPES[type_name], tuple(args))


def _is_plain(value: Any, depth: int = 0) -> bool:
    """True if `value` is a plain Flowmetal value that a snapshot can store."""
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if depth > 20:
        return False
    if isinstance(value, list | tuple | set | frozenset):
        return all(_is_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(_is_plain(k, depth + 1) and _is_plain(v, depth + 1) for k, v in value.items())
    return False


def from_python(exc: BaseException) -> ExcValue:
    """The Flowmetal exception for a native one: same class name (or nearest ancestor), same args.

    Arguments that are not plain values (the bytes of a UnicodeDecodeError,
    say) would not survive a snapshot, so such an exception keeps only its
    message text as its single argument.
    """
    type_ = _nearest_type(type(exc))
    args = exc.args
    if not all(_is_plain(a) for a in args):
        args = (str(exc),)
    return ExcValue(type_, tuple(args))


def _nearest_type(cls: type) -> ExcType:
    for klass in cls.__mro__:
        name = _ALIASES.get(klass.__name__, klass.__name__)
        if name in EXC_TYPES:
            return EXC_TYPES[name]
    return EXC_TYPES["Exception"]


def exc_str(e: ExcValue) -> str:
    """`str(e)` as Python computes it: "", str(arg) or str(args); KeyError shows repr(arg)."""
    # Imported here because builtins imports this module for EXC_TYPES.
    from flowmetal.vm.builtins import to_repr, to_str

    if not e.args:
        return ""
    if len(e.args) == 1:
        if e.type.name == "KeyError":
            return to_repr(e.args[0])
        return to_str(e.args[0])
    return to_repr(e.args)


def exc_repr(e: ExcValue) -> str:
    """`repr(e)` as Python computes it: `ValueError('bad')`, `KeyError(1, 2)`, `Timeout()`."""
    from flowmetal.vm.builtins import to_repr

    return f"{e.type.name}({', '.join(to_repr(a) for a in e.args)})"


def is_instance(e: Any, t_or_tuple: Any) -> bool:
    """`isinstance(e, T)` / the match of `except T:` for one class or a (nested) tuple of classes.

    Raises TypeError, as Python does, if a class given is not an exception class.
    """
    if isinstance(t_or_tuple, tuple):
        return any(is_instance(e, t) for t in t_or_tuple)
    if not isinstance(t_or_tuple, ExcType):
        raise TypeError("catching classes that do not inherit from BaseException is not allowed")
    return isinstance(e, ExcValue) and e.type.is_subclass_of(t_or_tuple)


def exc_type_of(value: Any) -> ExcType | None:
    """The class of a raisable value: an ExcType itself (`raise ValueError`) or an instance's."""
    if isinstance(value, ExcType):
        return value
    if isinstance(value, ExcValue):
        return value.type
    return None


def to_exc_value(value: Any) -> ExcValue:
    """What `raise value` raises: an instance as is, a class instantiated with no args.

    Raises TypeError (as Python does) for anything else.
    """
    if isinstance(value, ExcValue):
        return value
    if isinstance(value, ExcType):
        return ExcValue(value, ())
    raise TypeError("exceptions must derive from BaseException")
