"""Methods of plain values, attribute access (the sandbox), and flow.json, called directly."""

from __future__ import annotations

from typing import Any

import pytest

from flowmetal.errors import LimitError
from flowmetal.vm.builtins import BUILTIN_REGISTRY, BUILTINS, call_builtin
from flowmetal.vm.exceptions import new_exc
from flowmetal.vm.methods import bind_method, get_attribute, percent_format
from flowmetal.vm.stdlib_json import MODULE as JSON
from flowmetal.vm.values import Builtin


class FakeCtx:
    """Calls Python callables directly and enforces a small size limit."""

    def __init__(self, limit: int = 1_000_000) -> None:
        self.limit = limit

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(fn, Builtin):
            return call_builtin(fn, self, args, kwargs)
        return fn(*args, **kwargs)

    def output(self, text: str) -> None:
        pass

    def check_size(self, value: Any) -> Any:
        if len(value) > self.limit:
            raise LimitError("past the limit")
        return value

    def check_count(self, n: int, what: str = "result", unit: str = "elements") -> None:
        if n > self.limit:
            raise LimitError(f"{what} of {n} {unit} is past the limit")


def m(obj: Any, name: str, *args: Any, ctx: FakeCtx | None = None, **kwargs: Any) -> Any:
    return call_builtin(get_attribute(obj, name), ctx or FakeCtx(), args, kwargs)


def test_str_methods_match_python() -> None:
    s = "  Hello, World  "
    for name, args in [
        ("split", ()),
        ("split", (",",)),
        ("rsplit", (None, 1)),
        ("strip", ()),
        ("replace", ("l", "L")),
        ("find", ("o",)),
        ("count", ("l",)),
        ("upper", ()),
        ("title", ()),
        ("center", (20, "*")),
        ("zfill", (20,)),
        ("partition", (",",)),
        ("startswith", (("  H", "x"),)),
    ]:
        assert m(s, name, *args) == getattr(s, name)(*args), name
    assert m(",", "join", ["a", "b"]) == "a,b"
    assert m("a\nb\r\nc", "splitlines") == ["a", "b", "c"]
    assert m("abc", "split", maxsplit=1, sep="b") == ["a", "c"]


def test_str_format_is_python_format_without_attribute_escape() -> None:
    assert (
        m("{0} {x:>4} {0!r} {1[0]} {d[k]}", "format", "a", [7], x=3, d={"k": "v"})
        == "a    3 'a' 7 v"
    )
    assert m("{:,.2f}", "format", 1234.5) == "1,234.50"
    assert m("{0!r}", "format", [new_exc("KeyError", "k")]) == "[KeyError('k')]"
    with pytest.raises(AttributeError):
        m("{0.__class__}", "format", 1)
    with pytest.raises(AttributeError):
        m("{0.__globals__}", "format", "s")
    with pytest.raises(IndexError):
        m("{} {}", "format", 1)
    with pytest.raises(KeyError):
        m("{missing}", "format")
    with pytest.raises(LimitError):
        m("{:>{w}}", "format", 1, w=10**9, ctx=FakeCtx(limit=100))


def test_percent_format() -> None:
    ctx = FakeCtx(limit=1000)
    assert (
        percent_format(ctx, "%s=%d (%.1f) %r", ("a", 3, 2.25, [new_exc("ValueError")]))
        == "a=3 (2.2) [ValueError()]"
    )
    assert percent_format(ctx, "%(n)s!", {"n": "x"}) == "x!"
    assert percent_format(ctx, "%5s|", "ab") == "   ab|"
    with pytest.raises(LimitError):
        percent_format(ctx, "%100000000d", 1)
    with pytest.raises(LimitError):
        percent_format(ctx, "%*d", (10**8, 1))


def test_list_methods_and_sort_with_key() -> None:
    xs = [3, 1, 2]
    m(xs, "append", 4)
    m(xs, "extend", (5, 6))
    m(xs, "insert", 0, 0)
    assert xs == [0, 3, 1, 2, 4, 5, 6]
    assert m(xs, "pop") == 6 and m(xs, "index", 2) == 3
    m(xs, "remove", 0)
    m(xs, "sort", reverse=True)
    assert xs == [5, 4, 3, 2, 1]
    words = ["bb", "a", "ccc", "dd"]
    m(words, "sort", key=len)
    assert words == ["a", "bb", "dd", "ccc"]
    m(words, "reverse")
    assert words == ["ccc", "dd", "bb", "a"]
    with pytest.raises(ValueError):
        m(words, "remove", "zz")


def test_dict_methods() -> None:
    d = {"a": 1, "b": 2}
    keys, values, items = m(d, "keys"), m(d, "values"), m(d, "items")
    d["z"] = 26
    # Live views: they follow the dict.
    assert list(keys) == ["a", "b", "z"] and list(values) == [1, 2, 26]
    assert list(items) == [("a", 1), ("b", 2), ("z", 26)]
    del d["z"]
    with pytest.raises(AttributeError):  # no methods, so no way to the view's `mapping`
        get_attribute(keys, "mapping")
    assert m(d, "get", "z", 0) == 0 and m(d, "setdefault", "c", 3) == 3
    m(d, "update", {"a": 10}, e=5)
    assert d == {"a": 10, "b": 2, "c": 3, "e": 5}
    assert m(d, "pop", "e") == 5 and m(d, "popitem") == ("c", 3)
    with pytest.raises(KeyError):
        m(d, "pop", "zz")
    fromkeys = get_attribute(BUILTINS["dict"], "fromkeys")
    assert call_builtin(fromkeys, FakeCtx(), ("ab", 0), {}) == {"a": 0, "b": 0}


def test_set_tuple_number_methods() -> None:
    s = {1, 2}
    m(s, "add", 3)
    assert m(s, "union", [4]) == {1, 2, 3, 4} and m(s, "issubset", {1, 2, 3, 9})
    assert m(frozenset({1, 2}), "intersection", {2}) == frozenset({2})
    assert m((1, 2, 2), "count", 2) == 2
    assert m(255, "bit_length") == 8 and m(2.0, "is_integer") is True


def test_growing_methods_respect_the_size_limit() -> None:
    ctx = FakeCtx(limit=50_000)
    with pytest.raises(LimitError):
        m("x", "ljust", 10**9, ctx=ctx)
    with pytest.raises(LimitError):
        m("a" * 1000, "replace", "a", "b" * 1000, ctx=ctx)
    with pytest.raises(LimitError):
        m([], "extend", range(10**9), ctx=ctx)
    with pytest.raises(LimitError):
        m("", "join", ["x" * 40_000, "y" * 40_000], ctx=ctx)


@pytest.mark.parametrize(
    "name", ["__class__", "__dict__", "__init__", "mro", "encode", "nope", "_x"]
)
def test_attribute_access_is_a_whitelist(name: str) -> None:
    for obj in ["s", [1], {}, {1}, (1,), 3, 1.5, True, None, BUILTINS["len"]]:
        with pytest.raises(AttributeError):
            get_attribute(obj, name)


def test_unbound_methods_through_the_type_name_and_bind_method() -> None:
    upper = get_attribute(BUILTINS["str"], "upper")
    assert call_builtin(upper, FakeCtx(), ("abc",), {}) == "ABC"
    bound = get_attribute("a-b", "split")
    rebuilt = bind_method(bound.name, bound.bound_self)
    assert rebuilt.name == "str.split" and BUILTIN_REGISTRY["str.split"].fn is rebuilt.fn
    assert call_builtin(rebuilt, FakeCtx(), ("-",), {}) == ["a", "b"]
    assert get_attribute(new_exc("ValueError", 1, 2), "args") == (1, 2)


def test_json_round_trip_and_errors() -> None:
    dumps, loads = JSON["dumps"], JSON["loads"]
    value = {"b": [1, 2.5, None, True], "a": "é"}
    text = call_builtin(dumps, FakeCtx(), (value,), {"sort_keys": True})
    assert text == '{"a": "\\u00e9", "b": [1, 2.5, null, true]}'
    assert call_builtin(loads, FakeCtx(), (text,), {}) == value
    assert call_builtin(dumps, FakeCtx(), ([1],), {"indent": 2}) == "[\n  1\n]"
    with pytest.raises(ValueError, match="line 1 column"):
        call_builtin(loads, FakeCtx(), ("{bad",), {})
    with pytest.raises(TypeError, match="not JSON serializable"):
        call_builtin(dumps, FakeCtx(), ({1, 2},), {})


def test_repeating_one_big_value_is_caught_while_the_text_is_built() -> None:
    ctx = FakeCtx(limit=100_000)
    big = "x" * 50_000
    with pytest.raises(LimitError):
        m("{0}" * 10, "format", big, ctx=ctx)
    with pytest.raises(LimitError):
        percent_format(ctx, "%s" * 10, (big,) * 10)
    with pytest.raises(LimitError):
        call_builtin(JSON["dumps"], ctx, ([big] * 10,), {})
    # A non-int is not searched by walking the range (as CPython would): answered at once.
    assert m(range(10**12), "count", "a", ctx=ctx) == 0
    assert m(range(10**12), "count", 5, ctx=ctx) == 1  # an int is found arithmetically
