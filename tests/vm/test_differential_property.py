"""Property: generated programs give the same result (or the same error) in Flowmetal and CPython."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vm_differential import run_cpython, run_flowmetal

_LEAVES = [
    "a",
    "b",
    "n",
    "s",
    "xs",
    "0",
    "1",
    "-3",
    "7",
    "2.5",
    "'ab'",
    "True",
    "None",
    "[1, 2]",
    "(3,)",
]
# `%` on a str is `%`-formatting: with these leaves, `'ab' % [1, 2]` ('ab': a list
# may be a mapping, so CPython does not complain of unconverted arguments),
# `'ab' % (3,)` (TypeError), `s % xs`, ...
_BINARY = ["+", "-", "*", "//", "%", "<", "==", "!=", "and", "or", "in"]


@st.composite
def expressions(draw: Any, depth: int = 0) -> str:
    if depth > 3 or draw(st.booleans()):
        return draw(st.sampled_from(_LEAVES))
    kind = draw(st.integers(0, 6))
    sub = lambda: draw(expressions(depth + 1))  # noqa: E731
    if kind <= 2:
        return f"({sub()} {draw(st.sampled_from(_BINARY))} {sub()})"
    if kind == 3:
        return f"({sub()} if {sub()} else {sub()})"
    if kind == 4:
        return f"(not {sub()})" if draw(st.booleans()) else f"({sub()} % 7)"
    if kind == 5:
        return f"{draw(st.sampled_from(['xs', 's', '(xs + [9])']))}[{draw(st.integers(-3, 3))}]"
    return f"[{sub()} for a in xs if a != {sub()}]"


_STATEMENT_FORMS = [
    "n = {e}",
    # (a list is measured rather than appended: a list inside itself has no end to compare)
    "xs.append({e}) if not isinstance({e}, list) else out.append(len({e}))",
    "if {e}:\n        b = {e2}\n    else:\n        a = {e2}",
    "for a in xs[:3]:\n        n = {e}",
    "try:\n        n = {e}\n    except (TypeError, ZeroDivisionError, IndexError) as err:\n        out.append(type(err).__name__)",
    "out.append({e})",
]


@st.composite
def programs(draw: Any) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        form = draw(st.sampled_from(_STATEMENT_FORMS))
        lines.append(form.format(e=draw(expressions()), e2=draw(expressions())))
    body = "\n    ".join(lines)
    return (
        "def main():\n"
        "    a, b, n, s = 4, -2, 10, 'xyz'\n"
        "    xs = [5, 0, 'q', 2]\n"
        "    out = []\n"
        f"    {body}\n"
        "    return [a, b, n, s, xs, out]\n"
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=programs())
def test_generated_programs_match_cpython(source: str) -> None:
    assert run_flowmetal(source) == run_cpython(source), source


def test_percent_formatting_a_list_or_range_matches_cpython() -> None:
    """CPython treats a list or range right of `%` as a possible mapping (it has __getitem__)."""
    for expr in ["'ab' % []", "'ab' % [1, 2]", "'ab' % range(3)", "'%(a)s' % []", "'%d' % [1]"]:
        source = f"def main():\n    return {expr}\n"
        assert run_flowmetal(source) == run_cpython(source), expr
