"""The methods of plain values (`s.split()`, `xs.append(x)`, `d.items()`), and attribute access.

`get_attribute(obj, name)` is the sandbox's door for plain values: it
answers only for the whitelisted method names below and raises
AttributeError for everything else, dunders included, so no program can
reach a Python object's internals. A method comes back as a `Builtin`
bound to its receiver (`Builtin("str.split", fn, bound_self="a b")`); a
snapshot stores it as (name, receiver) and `bind_method` recreates it.

Each method's `fn` takes the receiver as its first argument (after the
CallContext for `needs_vm` methods), so most are Python's own unbound
methods (`str.split`) with Python's exact behaviour and error messages.
The wrappers exist for three reasons only: a method that grows a
collection checks the task's size limit first, `list.sort(key=)` calls
back into the VM, and `str.format` must not follow attribute paths into
Python objects (`"{0.__class__}"`).

dict.keys(), .values() and .items() return Python's live views: their
operators (`in`, `==`, `&`, `|`, `-`, `^`) are Python's, they have no
methods, and a snapshot stores which view of which dict they are.
"""

from __future__ import annotations

import _string  # the parser behind str.format's field names
import functools
import string
from typing import Any

from flowmetal.vm.objects import SeqIter, check_pending, pending_count
from flowmetal.vm.values import Builtin, CallContext, ExcType, ExcValue

_CHEAP = 10_000  # results shorter than this cannot hurt; skip the size check


def _check_len(ctx: CallContext, n: int) -> None:
    if n > _CHEAP:
        from flowmetal.vm.builtins import check_prospective

        check_prospective(ctx, n)


# --- str ---------------------------------------------------------------------


def _str_replace(ctx: CallContext, s: str, old: str, new: str, count: int = -1, /) -> str:
    if len(new) > len(old):
        hits = len(s) + 1 if old == "" else s.count(old)
        if count >= 0:
            hits = min(hits, count)
        _check_len(ctx, len(s) + hits * (len(new) - len(old)))
    return s.replace(old, new, count)


def _str_join(ctx: CallContext, s: str, iterable: Any, /) -> str:
    check_pending(ctx, iterable)
    items = list(iterable)
    total = len(s) * max(len(items) - 1, 0)
    total += sum(len(x) for x in items if type(x) is str)
    _check_len(ctx, total)
    return s.join(items)


def _padder(method: Any) -> Any:
    def fn(ctx: CallContext, s: str, width: int, *args: Any) -> str:
        if isinstance(width, int):
            _check_len(ctx, width)
        return method(s, width, *args)

    return fn


def _str_expandtabs(ctx: CallContext, s: str, tabsize: int = 8) -> str:
    if isinstance(tabsize, int):
        _check_len(ctx, len(s) + s.count("\t") * tabsize)
    return s.expandtabs(tabsize)


class _SafeFormatter(string.Formatter):
    """str.format with Flowmetal's rendering and without attribute access into Python objects."""

    def __init__(self, ctx: CallContext) -> None:
        self.ctx = ctx
        self.total = 0

    def get_value(self, key: Any, args: Any, kwargs: Any) -> Any:
        if isinstance(key, int):
            if key >= len(args):
                raise IndexError(f"Replacement index {key} out of range for positional args tuple")
            return args[key]
        return kwargs[key]

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        first, rest = _string.formatter_field_name_split(field_name)
        obj = self.get_value(first, args, kwargs)
        for is_attr, key in rest:
            if is_attr:
                obj = get_attribute(obj, key)  # whitelisted methods only
            elif isinstance(obj, list | tuple | dict | str):
                obj = obj[key]
            else:
                raise TypeError(f"'{_type_name(obj)}' object is not subscriptable")
        return obj, first

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        from flowmetal.vm.builtins import to_ascii, to_repr, to_str

        if conversion is None:
            return value
        if conversion == "s":
            return to_str(value)
        if conversion == "r":
            return to_repr(value)
        if conversion == "a":
            return to_ascii(value)
        raise ValueError(f"Unknown conversion specifier {conversion}")

    def format_field(self, value: Any, format_spec: str) -> str:
        from flowmetal.vm.builtins import format_value

        text = format_value(value, format_spec, self.ctx)
        # "{0}{0}{0}..." repeats one big argument: count as the pieces are made.
        self.total += len(text)
        _check_len(self.ctx, self.total)
        return text


def _str_format(ctx: CallContext, s: str, /, *args: Any, **kwargs: Any) -> str:
    return ctx.check_size(_SafeFormatter(ctx).vformat(s, args, kwargs))


class _Shown:
    """Stands in for a non-atomic value in `%` formatting so that %s and %r render it Flowmetal's way."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __str__(self) -> str:
        from flowmetal.vm.builtins import to_str

        return to_str(self.value)

    def __repr__(self) -> str:
        from flowmetal.vm.builtins import to_repr

        return to_repr(self.value)


class _ShownSubscriptable(_Shown):
    """A _Shown list or range: it still has __getitem__, so `%` treats it as CPython does.

    CPython's `str % x` takes any non-tuple, non-str `x` with __getitem__ as
    a possible mapping: `'ab' % []` is 'ab' (no error, since no `%(key)s`
    asks for a key) and `'%(a)s' % []` is a TypeError from the list's own
    indexing. A plain _Shown would lose that.
    """

    __slots__ = ()

    def __getitem__(self, key: Any) -> Any:
        return _shown(self.value[key])


def _shown(v: Any) -> Any:
    from flowmetal.vm.builtins import type_name

    if v is None or isinstance(v, bool | int | float | str):
        return v
    return _shown_class(type_name(v), type(v) is list or type(v) is range)(v)


@functools.cache
def _shown_class(name: str, subscriptable: bool) -> type:
    """The stand-in class for values Python calls `name`, so named that errors read as
    CPython's (`'%d' % [1]`: "a real number is required, not list")."""
    base = _ShownSubscriptable if subscriptable else _Shown
    return type(name, (base,), {"__slots__": ()})


def _rough_len(v: Any) -> int:
    if isinstance(v, str):
        return len(v)
    if isinstance(v, list | tuple | dict | set | frozenset):
        return 2 * len(v)
    return 0


def percent_format(ctx: CallContext, fmt: str, values: Any) -> str:
    """`fmt % values` for a str `fmt` (the VM's BINARY_MOD on strings should call this)."""
    from flowmetal.vm.builtins import check_width

    check_width(ctx, fmt)
    # "%s%s%s..." % (big, big, big, ...) repeats one big string: estimate first.
    items = values if isinstance(values, tuple) else (values,)
    _check_len(ctx, len(fmt) + sum(_rough_len(v) for v in items))
    if isinstance(values, tuple):
        if "*" in fmt:
            for v in values:
                if isinstance(v, int):
                    _check_len(ctx, abs(v))
        values = tuple(_shown(v) for v in values)
    elif isinstance(values, dict):
        values = {k: _shown(v) for k, v in values.items()}
    else:
        values = _shown(values)
    return ctx.check_size(fmt % values)


# --- list, dict, set ---------------------------------------------------------


def _list_append(ctx: CallContext, xs: list, x: Any, /) -> None:
    xs.append(x)
    if len(xs) > _CHEAP:
        ctx.check_size(xs)


def _list_extend(ctx: CallContext, xs: list, iterable: Any, /) -> None:
    iterable = not_over_itself(xs, iterable)
    pending = pending_count(iterable)
    if pending is not None:
        ctx.check_count(len(xs) + pending, "list")
    xs.extend(iterable)
    ctx.check_size(xs)


def _list_insert(ctx: CallContext, xs: list, i: int, x: Any, /) -> None:
    xs.insert(i, x)
    if len(xs) > _CHEAP:
        ctx.check_size(xs)


def _list_sort(ctx: CallContext, xs: list, /, *, key: Any = None, reverse: bool = False) -> None:
    if key is None:
        xs.sort(reverse=reverse)
        return
    keys = [ctx.call(key, x) for x in xs]
    # Sorting positions by key keeps Python's stability (reverse included).
    order = sorted(range(len(xs)), key=keys.__getitem__, reverse=reverse)
    xs[:] = [xs[i] for i in order]


def _grows(method: Any) -> Any:
    """Wrap a method whose result (or receiver) may grow, checking the size limit afterwards."""

    def fn(ctx: CallContext, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        for a in args:
            pending = pending_count(a)
            if pending is not None:
                ctx.check_count(len(obj) + pending, _type_name(obj))
        result = method(obj, *args, **kwargs)
        ctx.check_size(obj)
        if isinstance(result, str | list | tuple | dict | set | frozenset):
            ctx.check_size(result)
        return result

    return fn


def _range_search(method: Any) -> Any:
    """range.count / range.index in constant time for any value.

    Python finds only ints arithmetically and walks the range for anything
    else. Among Flowmetal's values only an integral float can equal an int,
    so the walk's answer is known: that int's, or not found.
    """

    def fn(ctx: CallContext, r: range, x: Any, /) -> Any:
        if type(x) is int or type(x) is bool:
            return method(r, x)
        if type(x) is float and x.is_integer() and int(x) in r:
            return method(r, int(x))
        if method is range.count:
            return 0
        raise ValueError("sequence.index(x): x not in sequence")

    return fn


def _walks(method: Any) -> Any:
    """Wrap a method that walks its iterable arguments (set.isdisjoint, .issubset, ...):
    a range, or an iterator over one, is checked against the size limit first."""

    def fn(ctx: CallContext, obj: Any, /, *args: Any) -> Any:
        for a in args:
            pending = pending_count(a)
            if pending is not None:
                ctx.check_count(pending, "iterable")
        return method(obj, *args)

    return fn


def not_over_itself(xs: list, iterable: Any) -> Any:
    """An iterator over the list being extended, as a list of its items: Python's
    `xs.extend(iter(xs))` grows the list as it walks it, for ever."""
    if type(iterable) is SeqIter and iterable.seq is xs:
        return list(iterable)
    return iterable


def _dict_fromkeys(ctx: CallContext, iterable: Any, value: Any = None, /) -> dict:
    check_pending(ctx, iterable)
    return ctx.check_size(dict.fromkeys(iterable, value))


# Per receiver type: method name -> (fn, needs_vm). The whitelist *is* the sandbox.
_TABLE: dict[str, dict[str, tuple[Any, bool]]] = {
    "str": {
        **{
            name: (getattr(str, name), False)
            for name in (
                "split rsplit strip lstrip rstrip startswith endswith find rfind index rindex "
                "count upper lower title capitalize swapcase casefold isdigit isalpha isalnum "
                "isspace isupper islower isnumeric isdecimal istitle isidentifier isprintable "
                "isascii splitlines partition rpartition removeprefix removesuffix"
            ).split()
        },
        "replace": (_str_replace, True),
        "join": (_str_join, True),
        "ljust": (_padder(str.ljust), True),
        "rjust": (_padder(str.rjust), True),
        "center": (_padder(str.center), True),
        "zfill": (_padder(str.zfill), True),
        "expandtabs": (_str_expandtabs, True),
        "format": (_str_format, True),
    },
    "list": {
        **{
            name: (getattr(list, name), False)
            for name in "pop remove index count reverse copy clear".split()
        },
        "append": (_list_append, True),
        "extend": (_list_extend, True),
        "insert": (_list_insert, True),
        "sort": (_list_sort, True),
    },
    "dict": {
        **{
            name: (getattr(dict, name), False)
            for name in "get pop popitem copy clear keys values items".split()
        },
        "setdefault": (_grows(dict.setdefault), True),
        "update": (_grows(dict.update), True),
    },
    "set": {
        **{name: (getattr(set, name), False) for name in "remove discard pop copy clear".split()},
        **{
            name: (_walks(getattr(set, name)), True)
            for name in (
                "intersection difference issubset issuperset isdisjoint "
                "intersection_update difference_update"
            ).split()
        },
        "add": (_grows(set.add), True),
        "update": (_grows(set.update), True),
        "union": (_grows(set.union), True),
        "symmetric_difference": (_grows(set.symmetric_difference), True),
        "symmetric_difference_update": (_grows(set.symmetric_difference_update), True),
    },
    "frozenset": {
        "copy": (frozenset.copy, False),
        **{
            name: (_walks(getattr(frozenset, name)), True)
            for name in "intersection difference issubset issuperset isdisjoint".split()
        },
        "union": (_grows(frozenset.union), True),
        "symmetric_difference": (_grows(frozenset.symmetric_difference), True),
    },
    "tuple": {"count": (tuple.count, False), "index": (tuple.index, False)},
    "range": {
        "count": (_range_search(range.count), True),
        "index": (_range_search(range.index), True),
    },
    "int": {"bit_length": (int.bit_length, False), "bit_count": (int.bit_count, False)},
    "float": {"is_integer": (float.is_integer, False)},
}

for _table in _TABLE.values():
    for _mname, (_fn, _) in _table.items():
        if hasattr(_fn, "__code__"):  # our wrapper: argument errors should name the method
            _fn.__name__ = _fn.__qualname__ = _mname

# Every method as an unbound Builtin, by its registry name ("str.split").
METHODS: dict[str, Builtin] = {
    f"{tname}.{mname}": Builtin(f"{tname}.{mname}", fn, needs_vm=needs_vm)
    for tname, table in _TABLE.items()
    for mname, (fn, needs_vm) in table.items()
}
# Static methods reached through the type name, not through an instance.
METHODS["dict.fromkeys"] = Builtin("dict.fromkeys", _dict_fromkeys, needs_vm=True)
_STATIC = {"dict.fromkeys"}

# Python methods a program might reach for, with the reason Flowmetal has none.
_REFUSED = {
    "encode": "Flowmetal has no bytes; str.encode is not available",
}

_RECEIVER_TYPES: dict[type, str] = {
    str: "str",
    list: "list",
    dict: "dict",
    set: "set",
    frozenset: "frozenset",
    tuple: "tuple",
    range: "range",
    int: "int",
    bool: "int",  # as in Python: True.bit_length()
    float: "float",
}


def _type_name(obj: Any) -> str:
    from flowmetal.vm.builtins import type_name

    return type_name(obj)


def bind_method(name: str, receiver: Any) -> Builtin:
    """The method `name` ("str.split") bound to `receiver`; how a snapshot's method is rebuilt."""
    unbound = METHODS[name]
    return Builtin(name, unbound.fn, needs_vm=unbound.needs_vm, bound_self=receiver)


def get_attribute(obj: Any, name: str) -> Any:
    """`obj.name` for a plain value, an exception, or a type name: whitelisted names only."""
    tname = _RECEIVER_TYPES.get(type(obj))
    if tname is not None:
        key = f"{tname}.{name}"
        if key in METHODS and key not in _STATIC:
            return bind_method(key, obj)
        if name in _REFUSED and tname == "str":
            raise AttributeError(_REFUSED[name])
    elif isinstance(obj, ExcValue):
        if name == "args":
            return obj.args
    elif isinstance(obj, ExcType):
        if name == "__name__":  # `type(e).__name__`, a common idiom; only a string
            return obj.name
        raise AttributeError(f"type object '{obj.name}' has no attribute '{name}'")
    elif isinstance(obj, Builtin) and obj.bound_self is None and obj.name in _TYPE_BUILTINS:
        if name == "__name__":
            return obj.name
        # `str.upper`, `dict.fromkeys`: the unbound method, called with the receiver first.
        key = f"{obj.name}.{name}"
        if key in METHODS:
            return METHODS[key]
        raise AttributeError(f"type object '{obj.name}' has no attribute '{name}'")
    raise AttributeError(f"'{_type_name(obj)}' object has no attribute '{name}'")


_TYPE_BUILTINS = {
    "str",
    "list",
    "dict",
    "set",
    "frozenset",
    "tuple",
    "range",
    "int",
    "float",
    "bool",
}
