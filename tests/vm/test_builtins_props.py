"""Property tests: Flowmetal's rendering and methods agree with Python's on random plain values."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from flowmetal.vm.builtins import BUILTINS, call_builtin, format_value, to_repr, to_str
from flowmetal.vm.methods import get_attribute, percent_format
from flowmetal.vm.values import Builtin

atoms = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
hashables = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3),
    max_leaves=6,
)
values = st.recursive(
    atoms,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner)
        | st.tuples(inner, inner)
        | st.dictionaries(hashables, inner, max_size=3)
        | st.sets(hashables, max_size=3)
        | st.frozensets(hashables, max_size=3)
    ),
    max_leaves=12,
)


class Ctx:
    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(fn, Builtin):
            return call_builtin(fn, self, args, kwargs)
        return fn(*args, **kwargs)

    def output(self, text: str) -> None:
        pass

    def check_size(self, value: Any) -> Any:
        return value

    def check_count(self, n: int, what: str = "result", unit: str = "elements") -> None:
        pass


@settings(max_examples=300, deadline=None)
@given(values)
def test_repr_and_str_agree_with_python(value: Any) -> None:
    assert to_repr(value) == repr(value)
    assert to_str(value) == str(value)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-(10**12), 10**12) | st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        ["", "d", ">10", "<8", "^9", "+", ",", "_", "08.3f", ".2e", "g", "%", "x", "#b"]
    ),
)
def test_format_specs_agree_with_python(number: Any, spec: str) -> None:
    try:
        expected: Any = format(number, spec)
    except (ValueError, TypeError) as exc:
        expected = type(exc)
    try:
        got: Any = format_value(number, spec, Ctx())
    except (ValueError, TypeError) as exc:
        got = type(exc)
    assert got == expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12), st.text(max_size=3), st.text(max_size=3))
def test_str_methods_agree_with_python(s: str, a: str, b: str) -> None:
    ctx = Ctx()
    for name, args in [
        ("split", (a,) if a else ()),
        ("replace", (a, b)),
        ("count", (a,)),
        ("find", (a,)),
        ("partition", (a,) if a else ("x",)),
        ("strip", (a,)),
        ("join", ([s, b],)),
        ("startswith", (a,)),
        ("zfill", (len(s) + 2,)),
        ("center", (len(s) + 3, "*")),
    ]:
        got = call_builtin(get_attribute(s, name), ctx, args, {})
        assert got == getattr(s, name)(*args), (s, name, args)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-50, 50), max_size=12), st.booleans())
def test_sorted_and_extremes_with_key_agree_with_python(xs: list[int], reverse: bool) -> None:
    ctx = Ctx()
    key = abs
    assert call_builtin(BUILTINS["sorted"], ctx, (xs,), {"key": key, "reverse": reverse}) == sorted(
        xs, key=key, reverse=reverse
    )
    assert call_builtin(BUILTINS["max"], ctx, (xs,), {"key": key, "default": None}) == max(
        xs, key=key, default=None
    )
    assert call_builtin(BUILTINS["min"], ctx, (xs,), {"key": key, "default": None}) == min(
        xs, key=key, default=None
    )


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=6), st.integers(), st.floats(allow_nan=False))
def test_percent_format_agrees_with_python(s: str, n: int, x: float) -> None:
    fmt = "%s|%5d|%-6.2f|%r|%x"
    assert percent_format(Ctx(), fmt, (s, n, x, s, n)) == fmt % (s, n, x, s, n)
