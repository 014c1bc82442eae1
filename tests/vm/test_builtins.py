"""Builtins and exceptions called directly, with a fake CallContext (no VM needed)."""

from __future__ import annotations

import builtins
from typing import Any

import pytest

from flowmetal.errors import LimitError
from flowmetal.vm import exceptions as ex
from flowmetal.vm.builtins import (
    BUILTIN_REGISTRY,
    BUILTINS,
    call_builtin,
    format_value,
    to_repr,
    to_str,
)
from flowmetal.vm.values import Builtin, ExcValue


class FakeCtx:
    """Calls Python callables directly, records output, and enforces a small size limit."""

    def __init__(self, limit: int = 1_000_000) -> None:
        self.limit = limit
        self.lines: list[str] = []
        self.calls = 0

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if isinstance(fn, Builtin):
            return call_builtin(fn, self, args, kwargs)
        return fn(*args, **kwargs)

    def output(self, text: str) -> None:
        self.lines.append(text)

    def check_size(self, value: Any) -> Any:
        if len(value) > self.limit:
            raise LimitError(f"collection of {len(value)} elements is past the limit")
        return value

    def check_count(self, n: int, what: str = "result", unit: str = "elements") -> None:
        if n > self.limit:
            raise LimitError(f"{what} of {n} {unit} is past the limit")


def call(name: str, *args: Any, ctx: FakeCtx | None = None, **kwargs: Any) -> Any:
    return call_builtin(BUILTINS[name], ctx or FakeCtx(), args, kwargs)


# --- exceptions ----------------------------------------------------------------


def test_hierarchy_follows_python() -> None:
    t = ex.EXC_TYPES
    assert t["KeyError"].is_subclass_of(t["LookupError"])
    assert t["ZeroDivisionError"].is_subclass_of(t["ArithmeticError"])
    assert t["UnboundLocalError"].is_subclass_of(t["NameError"])
    assert t["Timeout"].is_subclass_of(t["Exception"])
    assert not t["Cancelled"].is_subclass_of(t["Exception"])
    assert t["Cancelled"].is_subclass_of(t["BaseException"])


def test_exc_str_and_repr_follow_python() -> None:
    cases: list[tuple[str, tuple[Any, ...]]] = [
        ("ValueError", ()),
        ("ValueError", ("bad",)),
        ("ValueError", ("a", 1)),
        ("KeyError", ("k",)),
        ("KeyError", (1,)),
        ("KeyError", ()),
        ("IndexError", ([1, "x"],)),
    ]
    for name, args in cases:
        native = getattr(builtins, name)(*args)
        fm = ex.new_exc(name, *args)
        assert ex.exc_str(fm) == str(native), (name, args)
        assert ex.exc_repr(fm) == repr(native), (name, args)


def test_from_python_walks_to_the_nearest_known_class() -> None:
    e = ex.from_python(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"))
    assert e.type is ex.EXC_TYPES["ValueError"]
    assert e.args == ("'utf-8' codec can't decode byte 0xff in position 0: invalid start byte",)
    k = ex.from_python(KeyError("missing"))
    assert k.type.name == "KeyError" and k.args == ("missing",)
    assert ex.from_python(LimitError("too big")).type.name == "LimitExceeded"
    assert ex.from_python(RecursionError("deep")).type.name == "RecursionError"


def test_is_instance_with_tuples_and_bad_classes() -> None:
    e = ex.new_exc("KeyError", "k")
    t = ex.EXC_TYPES
    assert ex.is_instance(e, t["LookupError"])
    assert ex.is_instance(e, (t["ValueError"], (t["IndexError"], t["Exception"])))
    assert not ex.is_instance(e, t["ValueError"])
    assert not ex.is_instance(ex.new_exc("Cancelled"), t["Exception"])
    with pytest.raises(TypeError):
        ex.is_instance(e, BUILTINS["int"])


# --- rendering -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        -2.5,
        1e100,
        0.1 + 0.2,
        "it's",
        [1, "a"],
        (1,),
        (),
        {1: [2]},
        set(),
        {3},
        frozenset(),
        frozenset({1}),
        range(3),
        [[]],
    ],
)
def test_repr_and_str_match_python_for_plain_values(value: Any) -> None:
    assert to_repr(value) == repr(value)
    assert to_str(value) == str(value)


def test_repr_of_nested_flowmetal_objects_and_cycles() -> None:
    xs: list[Any] = [
        ex.new_exc("ValueError", "x"),
        BUILTINS["len"],
        BUILTINS["str"],
        ex.EXC_TYPES["KeyError"],
    ]
    assert (
        to_repr(xs)
        == "[ValueError('x'), <built-in function len>, <class 'str'>, <class 'KeyError'>]"
    )
    cyc: list[Any] = [1]
    cyc.append(cyc)
    assert to_repr(cyc) == repr(cyc)
    assert to_str(ex.new_exc("KeyError", "k")) == "'k'"


def test_format_value_and_width_limit() -> None:
    assert format_value(3.14159, ".2f") == "3.14"
    assert format_value([1, 2]) == "[1, 2]"
    assert format_value(42, ">6") == "    42"
    with pytest.raises(TypeError):
        format_value([1], ">5")
    with pytest.raises(LimitError):
        format_value(1, ">5000000", FakeCtx(limit=1000))


# --- builtins ----------------------------------------------------------------------


def test_sorted_with_key_and_reverse_is_stable() -> None:
    data = [("b", 1), ("a", 2), ("c", 1), ("d", 2)]
    key = lambda p: p[1]  # noqa: E731
    assert call("sorted", data, key=key) == sorted(data, key=key)
    assert call("sorted", data, key=key, reverse=True) == sorted(data, key=key, reverse=True)
    assert call("sorted", "hello") == sorted("hello")


def test_min_max_forms() -> None:
    assert call("max", 3, 9, 2) == 9
    assert call("min", [4, 1, 7]) == 1
    assert call("max", [], default="none") == "none"
    words = ["bb", "a", "cc", "d"]
    assert call("max", words, key=len) == "bb"  # the first of the longest, as in Python
    assert call("min", words, key=len) == "a"
    with pytest.raises(ValueError, match="empty"):
        call("max", [])
    with pytest.raises(TypeError):
        call("min", 1, 2, default=0)


def test_map_filter_zip_enumerate_reversed_return_one_shot_iterators() -> None:
    def items(name: str, *args: Any) -> list[Any]:
        return list(call(name, *args))

    assert items("map", lambda a, b: a + b, [1, 2, 3], [10, 20]) == [11, 22]
    assert items("filter", None, [0, 1, "", "x"]) == [1, "x"]
    assert items("filter", lambda x: x % 2, range(6)) == [1, 3, 5]
    assert items("zip", "ab", [1, 2, 3]) == [("a", 1), ("b", 2)]
    assert items("enumerate", "xy", 1) == [(1, "x"), (2, "y")]
    assert items("reversed", range(3)) == [2, 1, 0]
    once = call("zip", "ab", "cd")
    assert list(once) == [("a", "c"), ("b", "d")]
    assert list(once) == []  # consumed, as in Python
    with pytest.raises(TypeError, match="not reversible"):
        call("reversed", {1, 2})
    with pytest.raises(TypeError, match="has no len"):
        call("len", call("map", str, [1]))


def test_iter_and_next() -> None:
    it = call("iter", [1, 2])
    assert call("iter", it) is it
    assert call("next", it) == 1
    assert call("next", it) == 2
    assert call("next", it, "done") == "done"
    with pytest.raises(StopIteration):
        call("next", it)
    assert list(call("iter", {"a": 1, "b": 2})) == ["a", "b"]
    with pytest.raises(TypeError, match="'int' object is not iterable"):
        call("iter", 3)
    with pytest.raises(TypeError, match="'list' object is not an iterator"):
        call("next", [1])
    grows = {"a": 1}
    watching = call("iter", grows)
    grows["b"] = 2
    with pytest.raises(RuntimeError, match="dictionary changed size during iteration"):
        call("next", watching)


def test_isinstance_with_type_builtins_and_exceptions() -> None:
    assert call("isinstance", True, BUILTINS["int"])
    assert call("isinstance", "s", (BUILTINS["int"], BUILTINS["str"]))
    assert not call("isinstance", [1], BUILTINS["tuple"])
    e = ex.new_exc("KeyError", "k")
    assert call("isinstance", e, ex.EXC_TYPES["LookupError"])
    assert not call("isinstance", 3, ex.EXC_TYPES["Exception"])
    with pytest.raises(TypeError):
        call("isinstance", 3, 3)


def test_conversions_and_numbers() -> None:
    assert call("int", "ff", 16) == 255
    assert call("str", ex.new_exc("ValueError", "boom")) == "boom"
    assert call("str") == ""
    assert call("list", "ab") == ["a", "b"]
    assert call("dict", [("a", 1)], b=2) == {"a": 1, "b": 2}
    assert call("divmod", -7, 2) == (-4, 1)
    assert call("round", 2.5) == 2 and call("round", 2.675, 2) == 2.67
    assert call("pow", 2, 100) == 2**100 and call("pow", 3, 4, 5) == 1
    assert call("chr", call("ord", "é")) == "é"
    assert call("sum", [[1], [2]], []) == [1, 2]
    with pytest.raises(LimitError):
        call("pow", 10, 10**9)
    with pytest.raises(ValueError):
        call("pow", -8, 0.5)  # no complex numbers


def test_hash_refuses_mutable_values() -> None:
    assert call("hash", (1, "a")) == hash((1, "a"))
    bad: Any
    for bad in ([1], {}, {1}, (1, [2])):
        with pytest.raises(TypeError, match="unhashable"):
            call("hash", bad)


def test_print_collects_text_with_sep_and_end() -> None:
    ctx = FakeCtx()
    call("print", "a", 1, [ex.new_exc("KeyError", "k")], ctx=ctx)
    call("print", "x", "y", sep="-", end="!", ctx=ctx)
    assert ctx.lines == ["a 1 [KeyError('k')]", "x-y!"]


def test_size_limit_applies_before_materialising_a_range() -> None:
    ctx = FakeCtx(limit=100)
    with pytest.raises(LimitError):
        call("list", range(10**12), ctx=ctx)
    with pytest.raises(LimitError):
        call("sorted", range(10**12), ctx=ctx)
    assert call("len", range(10**12)) == 10**12  # a range itself stays lazy


def test_len_of_a_non_collection_names_the_type() -> None:
    with pytest.raises(TypeError, match="object of type 'int' has no len"):
        call("len", 5)


def test_registry_holds_every_reachable_builtin_once() -> None:
    assert BUILTIN_REGISTRY["len"] is BUILTINS["len"]
    assert "str.split" in BUILTIN_REGISTRY and "json.dumps" in BUILTIN_REGISTRY
    assert all(name == b.name for name, b in BUILTIN_REGISTRY.items())
    assert isinstance(BUILTINS["ValueError"], ex.ExcType)


def test_type_returns_the_type_builtin() -> None:
    assert call("type", 3) is BUILTINS["int"]
    assert call("type", ex.new_exc("KeyError")) is ex.EXC_TYPES["KeyError"]
    assert to_repr(call("type", "s")) == "<class 'str'>"
    assert isinstance(ex.new_exc("KeyError"), ExcValue)


def test_renderings_and_loops_that_could_run_away_are_bounded() -> None:
    big = "x" * 1_000_000
    with pytest.raises(LimitError):
        to_repr([big] * 100)  # 100 MB of text from 8 MB of list
    assert to_repr([big] * 2) == repr([big] * 2)
    assert call("round", 5, -(10**8)) == 0  # Python would compute 10 ** 10 ** 8 first
    assert call("round", 1234, -2) == 1200 and call("round", -5, -10) == round(-5, -10)
    with pytest.raises(LimitError):
        call("all", range(1, 10**12), ctx=FakeCtx(limit=1000))
    assert call("any", [0, 0, 3]) is True
