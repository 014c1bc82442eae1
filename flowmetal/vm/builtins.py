"""The global builtin names of Flowmetal (`len`, `sorted`, `print`, `ValueError`, ...).

Plain Flowmetal values are Python values, so each builtin is a thin,
whitelisted wrapper around Python's own: `len` is Python's `len`, `sorted`
is Python's `sorted` plus a `key=` that calls back into the VM. Native code
raises ordinary Python exceptions; the VM converts them
(`exceptions.from_python`).

Calling convention (the VM's `call_builtin` below is the one way to do it):

    b.fn(*([ctx] if b.needs_vm else []),
         *([b.bound_self] if b.bound_self is not None else []),
         *args, **kwargs)

A builtin that calls Flowmetal code (sorted with key=, map, filter, min/max
with key) or that builds a collection whose size a program controls (list,
range materialised, str.ljust) is `needs_vm=True` and gets the VM's
CallContext first.

Iterators are plain data too (`objects.SeqIter`: a sequence and a position),
so a task holding one can be snapshotted. map, filter, zip, enumerate and
reversed compute their items when called (Python's are lazy) and hand back a
one-shot iterator over them, as Python's do.

The type names (`int`, `str`, `list`, ...) are Builtins too: calling one
converts, and `isinstance` maps it to the Python type. Every Builtin a
program can reach is in `BUILTIN_REGISTRY` under its unique name, so a
snapshot stores a builtin by name and finds it again.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from flowmetal.errors import LimitError
from flowmetal.vm import methods, stdlib_json
from flowmetal.vm.exceptions import EXC_TYPES, exc_repr, exc_str, is_instance
from flowmetal.vm.objects import SeqIter, check_pending, pending_count, pending_range
from flowmetal.vm.values import Builtin, CallContext, ExcType, ExcValue

# The Python types behind the type-name builtins. bool before int matters
# nowhere here (isinstance(True, int) is True in Python too).
TYPES: dict[str, type] = {
    "bool": bool,
    "int": int,
    "float": float,
    "str": str,
    "list": list,
    "dict": dict,
    "set": set,
    "frozenset": frozenset,
    "tuple": tuple,
    "range": range,
}
_ATOMS = (type(None), bool, int, float, str)
# `d.keys()`, `d.values()`, `d.items()`: Python's own live views (a snapshot stores
# which view of which dict).
DICT_VIEWS: tuple[type, ...] = (type({}.keys()), type({}.values()), type({}.items()))
# Flowmetal values are exactly these types (no subclasses), so a type test is enough.
_SIZED = frozenset({list, tuple, dict, set, frozenset, str, range, *DICT_VIEWS})
_REVERSIBLE = frozenset({list, tuple, str, range, dict, *DICT_VIEWS})


def call_builtin(
    b: Builtin, ctx: CallContext, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """Call a Builtin following the convention in the module docstring."""
    # Spelled out per case: this is on the path of every builtin and method call.
    if b.needs_vm:
        if b.bound_self is not None:
            return b.fn(ctx, b.bound_self, *args, **kwargs)
        return b.fn(ctx, *args, **kwargs)
    if b.bound_self is not None:
        return b.fn(b.bound_self, *args, **kwargs)
    return b.fn(*args, **kwargs)


# --- rendering values: str(), repr(), format() -----------------------------


def type_name(v: Any) -> str:
    """The name Python would give the type of `v` (used in error messages).

    A VM class may set a class attribute `flow_type_name` (e.g. "function").
    """
    if isinstance(v, ExcValue):
        return v.type.name
    if isinstance(v, ExcType):
        return "type"
    if isinstance(v, Builtin):
        if v.bound_self is None and v.name in TYPES:
            return "type"
        return "builtin_function_or_method"
    named = getattr(type(v), "flow_type_name", None)
    if isinstance(named, str):
        return named
    return type(v).__name__


# The most characters one str()/repr() may build. A list holding the same
# large string a thousand times is small in memory but its repr is not; the
# limit stops that before it exhausts the interpreter's memory (a crash there
# would repeat on every replay of the step). Callers with a CallContext check
# the result against the task's own, smaller limit afterwards.
MAX_RENDER = 16 * 1024 * 1024


class _Render:
    """The state of one repr: containers being shown (for cycles) and the characters left."""

    __slots__ = ("active", "left")

    def __init__(self) -> None:
        self.active: set[int] = set()
        self.left = MAX_RENDER

    def spend(self, text: str) -> str:
        self.left -= len(text)
        if self.left < 0:
            raise LimitError(f"the text of this value is over the limit of {MAX_RENDER} characters")
        return text


def to_repr(v: Any) -> str:
    """`repr(v)` for any Flowmetal value, nested VM objects included."""
    if isinstance(v, _ATOMS):
        return repr(v)
    return _repr(v, _Render())


def _repr(v: Any, r: _Render) -> str:
    if isinstance(v, _ATOMS):
        return r.spend(repr(v))
    t = type(v)
    if t is list or t is tuple or t is dict or t is set or t is frozenset:
        if id(v) in r.active:  # a container inside itself, as Python shows it
            return "[...]" if t is list else "{...}"
        r.active.add(id(v))
        r.spend("  " * len(v))  # the separators
        try:
            if t is dict:
                inner = ", ".join(f"{_repr(k, r)}: {_repr(x, r)}" for k, x in v.items())
                return "{" + inner + "}"
            inner = ", ".join(_repr(x, r) for x in v)
            if t is list:
                return "[" + inner + "]"
            if t is tuple:
                return "(" + inner + (",)" if len(v) == 1 else ")")
            if not v:
                return f"{t.__name__}()"
            return "{" + inner + "}" if t is set else "frozenset({" + inner + "})"
        finally:
            r.active.discard(id(v))
    if t in DICT_VIEWS:
        if id(v) in r.active:  # a view among the values it shows, as Python shows it
            return r.spend("...")
        r.active.add(id(v))
        r.spend("  " * len(v))
        try:
            return f"{t.__name__}([" + ", ".join(_repr(x, r) for x in v) + "])"
        finally:
            r.active.discard(id(v))
    if isinstance(v, ExcValue):
        return r.spend(exc_repr(v))
    if isinstance(v, Builtin) and v.bound_self is None and v.name in TYPES:
        return f"<class '{v.name}'>"
    return r.spend(repr(v))  # range, ExcType, Builtin, and the VM's own classes


def to_str(v: Any) -> str:
    """`str(v)` for any Flowmetal value."""
    if type(v) is str:
        return v
    if isinstance(v, ExcValue):
        return exc_str(v)
    return to_repr(v)


def to_ascii(v: Any) -> str:
    """`ascii(v)`: repr with non-ASCII characters escaped."""
    return to_repr(v).encode("ascii", "backslashreplace").decode("ascii")


class Prospective:
    """A stand-in with the length a result would have, checked before the result is built.

    `ctx.check_size` measures with len(), so this lets native code refuse
    `"x".ljust(10**9)` without first allocating a gigabyte.
    """

    __slots__ = ("n",)
    flow_type_name = "result"

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return min(self.n, sys.maxsize)


def check_prospective(ctx: CallContext, n: int) -> None:
    """Raise (through the VM's size check) if a string of length `n` would be past the limit."""
    ctx.check_size(Prospective(n))


_SPEC_NUMBERS = re.compile(r"\d+")
_CHEAP_WIDTH = 10_000  # below this, a width or precision cannot hurt


def check_width(ctx: CallContext | None, text: str) -> None:
    """Refuse a format spec whose width/precision would build a string past the size limit."""
    biggest = max((int(n) for n in _SPEC_NUMBERS.findall(text)), default=0)
    if biggest > _CHEAP_WIDTH:
        if ctx is None:
            raise OverflowError("format width or precision too big")
        check_prospective(ctx, biggest)


def format_value(v: Any, spec: str = "", ctx: CallContext | None = None) -> str:
    """`format(v, spec)`, the f-string `{v:spec}`: Python's formatting for plain values."""
    if not spec:
        return to_str(v)
    check_width(ctx, spec)
    if isinstance(v, _ATOMS):
        return format(v, spec)
    raise TypeError(f"unsupported format string passed to {type_name(v)}.__format__")


# --- the builtins ------------------------------------------------------------


def _materialise(ctx: CallContext, iterable: Any) -> list[Any]:
    """A list of the items of `iterable`, refusing a range (or an iterator over one) past the
    size limit before building it."""
    check_pending(ctx, iterable)
    return list(iterable)


def _len(*args: Any) -> int:
    if len(args) != 1:
        raise TypeError(f"len() takes exactly one argument ({len(args)} given)")
    obj = args[0]
    if type(obj) in _SIZED:
        return len(obj)
    # Only plain collections have a length: no VM object's __len__ is reachable.
    raise TypeError(f"object of type '{type_name(obj)}' has no len()")


def _any(ctx: CallContext, iterable: Any, /) -> bool:
    # An iterator or a range is pulled only up to the first true item, as in Python.
    return any(bounded(ctx, iterable))


def _all(ctx: CallContext, iterable: Any, /) -> bool:
    return all(bounded(ctx, iterable))


def bounded(ctx: CallContext, iterable: Any) -> Any:
    """The items of `iterable` one by one, for native code that may stop early (any, all,
    `in`): a range or an iterator over one is walked lazily, up to the size limit."""
    if pending_range(iterable) is None:
        yield from iterable if type(iterable) is SeqIter else _materialise(ctx, iterable)
        return
    for n, item in enumerate(iterable, 1):
        if not n & 1023:
            ctx.check_count(n, "iterator")  # items that do not exist yet: bound the walk
        yield item


def _round(number: Any, ndigits: Any = None) -> Any:
    if (
        type(number) is int
        and type(ndigits) is int
        and ndigits < 0
        and -ndigits > number.bit_length() // 3 + 2
    ):
        # 10 ** -ndigits exceeds the number: the result is 0, and Python would
        # first compute that power, which takes minutes for ndigits=-10**8.
        return 0
    return round(number, ndigits)


def _sorted(ctx: CallContext, iterable: Any, /, *, key: Any = None, reverse: bool = False) -> list:
    items = _materialise(ctx, iterable)
    if key is None:
        items.sort(reverse=reverse)
        return items
    keys = [ctx.call(key, x) for x in items]
    # Sorting the positions by their keys keeps Python's stability, reverse included.
    order = sorted(range(len(items)), key=keys.__getitem__, reverse=reverse)
    return [items[i] for i in order]


_NO_DEFAULT = object()


def _extreme(name: str, pick: Any) -> Any:
    def fn(ctx: CallContext, *args: Any, key: Any = None, default: Any = _NO_DEFAULT) -> Any:
        if not args:
            raise TypeError(f"{name} expected at least 1 argument, got 0")
        if len(args) == 1:
            items = _materialise(ctx, args[0])
        else:
            if default is not _NO_DEFAULT:
                raise TypeError(
                    f"Cannot specify a default for {name}() with multiple positional arguments"
                )
            items = list(args)
        if not items and default is not _NO_DEFAULT:
            return default
        if key is None:
            return pick(items)
        keys = [ctx.call(key, x) for x in items]
        # Picking among positions by key keeps Python's rule: the first extreme item wins.
        return items[pick(range(len(items)), key=keys.__getitem__)] if items else pick(items)

    return fn


def _sum(ctx: CallContext, iterable: Any, /, start: Any = 0) -> Any:
    total = sum(_materialise(ctx, iterable), start)
    if isinstance(total, list | tuple):
        ctx.check_size(total)
    return total


def to_iter(x: Any) -> SeqIter:
    """`iter(x)`, and the iterator a `for` loop or comprehension walks."""
    t = type(x)
    if t is list or t is tuple or t is str or t is range:
        return SeqIter(x)
    if t is SeqIter:
        return x  # type: ignore[no-any-return]
    if t is dict or t is set or t is frozenset or t in DICT_VIEWS:
        return SeqIter(list(x), 0, x, len(x))
    raise TypeError(f"'{type_name(x)}' object is not iterable")


def _iter(x: Any, /) -> SeqIter:
    return to_iter(x)


def _next(it: Any, default: Any = _NO_DEFAULT, /) -> Any:
    if type(it) is not SeqIter:
        raise TypeError(f"'{type_name(it)}' object is not an iterator")
    try:
        return next(it)
    except StopIteration:
        if default is _NO_DEFAULT:
            raise
        return default


def _map(ctx: CallContext, fn: Any, *iterables: Any) -> SeqIter:
    if not iterables:
        raise TypeError("map() must have at least two arguments.")
    return SeqIter([ctx.call(fn, *xs) for xs in _zip_rounds(ctx, iterables, strict=False)])


def _filter(ctx: CallContext, fn: Any, iterable: Any, /) -> SeqIter:
    items = _materialise(ctx, iterable)
    if fn is None:
        return SeqIter([x for x in items if x])
    return SeqIter([x for x in items if ctx.call(fn, x)])


def _zip(ctx: CallContext, *iterables: Any, strict: bool = False) -> SeqIter:
    return SeqIter(_zip_rounds(ctx, iterables, strict))


def _zip_rounds(ctx: CallContext, iterables: tuple[Any, ...], strict: bool) -> list[tuple]:
    """zip's tuples, pulling from iterator arguments exactly as Python's zip does: in turn,
    round by round, until one runs out (the items pulled in that last round are lost)."""
    if not iterables:
        return []
    counts = [pending_count(it) for it in iterables]
    if None not in counts:  # nothing else bounds the rounds
        ctx.check_count(min(n for n in counts if n is not None), "zip() result")
    sources = [iter(it) for it in iterables]
    rows: list[tuple] = []
    while True:
        row = []
        for i, source in enumerate(sources):
            try:
                row.append(next(source))
            except StopIteration:
                if strict:
                    _zip_strict_check(i, sources)
                return rows
        rows.append(tuple(row))


def _zip_strict_check(i: int, sources: list[Any]) -> None:
    """Python's errors for zip(strict=True) when argument i+1 ran out first."""

    def plural(n: int) -> str:
        return "argument 1" if n == 1 else f"arguments 1-{n}"

    if i > 0:
        raise ValueError(f"zip() argument {i + 1} is shorter than {plural(i)}")
    for j, source in enumerate(sources[1:], 1):
        try:
            next(source)
        except StopIteration:
            continue
        raise ValueError(f"zip() argument {j + 1} is longer than {plural(j)}")


def _enumerate(ctx: CallContext, iterable: Any, start: int = 0) -> SeqIter:
    return SeqIter(list(enumerate(_materialise(ctx, iterable), start)))


def _reversed(ctx: CallContext, seq: Any, /) -> SeqIter:
    if type(seq) is range:
        ctx.check_size(seq)
    if type(seq) not in _REVERSIBLE:
        raise TypeError(f"'{type_name(seq)}' object is not reversible")
    return SeqIter(list(reversed(seq)))


def _python_type(t: Any) -> Any:
    """The Python type (or ExcType) an isinstance class argument stands for."""
    if isinstance(t, Builtin) and t.bound_self is None and t.name in TYPES:
        return TYPES[t.name]
    if isinstance(t, ExcType):
        return t
    if isinstance(t, tuple):
        return tuple(_python_type(x) for x in t)
    raise TypeError("isinstance() arg 2 must be a type, a tuple of types, or a union")


def _isinstance(obj: Any, classinfo: Any, /) -> bool:
    target = _python_type(classinfo)
    return _isinstance_of(obj, target)


def _isinstance_of(obj: Any, target: Any) -> bool:
    if isinstance(target, tuple):
        return any(_isinstance_of(obj, t) for t in target)
    if isinstance(target, ExcType):
        return is_instance(obj, target)
    return isinstance(obj, target)


def _type(obj: Any, /) -> Any:
    if isinstance(obj, ExcValue):
        return obj.type
    name = type(obj).__name__
    if type(obj) in TYPES.values():
        return BUILTINS[name]
    raise TypeError(f"type() of a {type_name(obj)} is not available in Flowmetal")


def _collection(kind: type) -> Any:
    def fn(ctx: CallContext, *args: Any, **kwargs: Any) -> Any:
        if args:
            check_pending(ctx, args[0])
        return ctx.check_size(kind(*args, **kwargs))

    return fn


def _str(obj: Any = "", /) -> str:
    return to_str(obj)


def _hash(obj: Any, /) -> int:
    if isinstance(obj, _ATOMS) or isinstance(obj, tuple | frozenset | range):
        return hash(obj)  # a tuple holding a list raises TypeError, as in Python
    raise TypeError(f"unhashable type: '{type_name(obj)}'")


# pow() and the ** operator refuse a complex result with this ValueError.
COMPLEX_POWER = "negative number cannot be raised to a fractional power"


def _pow(base: Any, exp: Any, mod: Any = None) -> Any:
    if mod is None and isinstance(base, int) and isinstance(exp, int) and exp > 0:
        # An exact power can take minutes to compute: refuse the absurd ones up front.
        if abs(base) > 1 and exp * abs(base).bit_length() > 100_000_000:
            raise LimitError("integer result is too large")  # LimitExceeded, as the ** operator
    result = pow(base, exp, mod)
    if isinstance(result, complex):  # (-8) ** 0.5: Flowmetal has no complex numbers
        raise ValueError(COMPLEX_POWER)
    return result


def _print(ctx: CallContext, *args: Any, sep: str | None = " ", end: str | None = "\n") -> None:
    sep = " " if sep is None else sep
    end = "\n" if end is None else end
    if not isinstance(sep, str) or not isinstance(end, str):
        raise TypeError("sep and end must be None or a string")
    text = sep.join(to_str(a) for a in args)
    # The host receives one line at a time: the usual newline ending is implied.
    ctx.output(text if end == "\n" else text + end)


def _format(ctx: CallContext, value: Any, spec: str = "", /) -> str:
    return format_value(value, spec, ctx)


def _int(*args: Any, **kwargs: Any) -> int:
    return int(*args, **kwargs)


def _float(*args: Any) -> float:
    return float(*args)


def _bool(*args: Any) -> bool:
    return bool(*args)


def _range(*args: Any) -> range:
    return range(*args)  # lazy; materialising it is what the size limit checks


def _callable(obj: Any, /) -> bool:
    return not isinstance(obj, _ATOMS + (list, tuple, dict, set, frozenset, range, ExcValue))


_PLAIN: dict[str, Any] = {
    "len": _len,
    "abs": abs,
    "isinstance": _isinstance,
    "type": _type,
    "repr": to_repr,
    "ascii": to_ascii,
    "round": _round,
    "divmod": divmod,
    "ord": ord,
    "chr": chr,
    "hash": _hash,
    "pow": _pow,
    "bin": bin,
    "oct": oct,
    "hex": hex,
    "callable": _callable,
    "iter": _iter,
    "next": _next,
    # type names that convert
    "int": _int,
    "float": _float,
    "str": _str,
    "bool": _bool,
    "range": _range,
}
_WITH_VM: dict[str, Any] = {
    "sorted": _sorted,
    "any": _any,
    "all": _all,
    "min": _extreme("min", min),
    "max": _extreme("max", max),
    "sum": _sum,
    "map": _map,
    "filter": _filter,
    "zip": _zip,
    "enumerate": _enumerate,
    "reversed": _reversed,
    "print": _print,
    "format": _format,
    "list": _collection(list),
    "dict": _collection(dict),
    "set": _collection(set),
    "frozenset": _collection(frozenset),
    "tuple": _collection(tuple),
}


def _named(fn: Any, name: str) -> Any:
    """Give a Python wrapper the builtin's name, so that argument errors read `len() ...`."""
    if hasattr(fn, "__code__"):  # a def or lambda of ours, not a Python builtin
        fn.__name__ = fn.__qualname__ = name
    return fn


for _name in _PLAIN:
    _named(_PLAIN[_name], _name)
for _name in _WITH_VM:
    _named(_WITH_VM[_name], _name)

BUILTINS: dict[str, Any] = {}
for _name, _fn in _PLAIN.items():
    BUILTINS[_name] = Builtin(_name, _fn)
for _name, _fn in _WITH_VM.items():
    BUILTINS[_name] = Builtin(_name, _fn, needs_vm=True)
BUILTINS.update(EXC_TYPES)

BUILTIN_REGISTRY: dict[str, Builtin] = {}


def register(b: Builtin) -> Builtin:
    """Add a Builtin to the registry under its unique name (standard modules call this)."""
    existing = BUILTIN_REGISTRY.get(b.name)
    if existing is not None and existing is not b:
        raise ValueError(f"builtin name {b.name!r} is registered twice")
    BUILTIN_REGISTRY[b.name] = b
    return b


for _value in BUILTINS.values():
    if isinstance(_value, Builtin):
        register(_value)
for _method in methods.METHODS.values():
    register(_method)
for _fn_b in stdlib_json.MODULE.values():
    register(_fn_b)
