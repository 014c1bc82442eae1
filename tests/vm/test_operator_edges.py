"""Operators at their edges: `in` on a range, `**` with no real result, size-limit messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from flowmetal.vm import Limits, run_pure


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('"a" in range(10**18)', False),
        ('"a" not in range(10**18)', True),
        ("None in range(10**18)", False),
        ("[1] in range(10**18)", False),
        ("2.0 in range(10**18)", True),
        ("2.5 in range(10**18)", False),
        ("float('inf') in range(10**18)", False),
        ("-1.0 in range(10**18)", False),
    ],
)
def test_in_a_huge_range_answers_at_once_for_any_value(expr: str, expected: bool) -> None:
    # CPython walks the range for a value that is not an int: 10**18 steps, forever.
    r = run_pure(f"def main():\n    return {expr}\n")
    assert r.status == "done", r.error
    assert r.result is expected


@pytest.mark.parametrize(
    "expr",
    [
        "[x in range(5) for x in [3.0, 3.5, 5.0, -0.0, True, False, 'a', None, (1,)]]",
        "[x in range(0, 10, 2) for x in [4.0, 5.0, 10.0, float('nan')]]",
        "[x not in range(10, 0, -3) for x in [7.0, 8.0, 1.0, 10.0]]",
    ],
)
def test_in_a_range_matches_cpython(expr: str, same_as_python: Callable[[str], Any]) -> None:
    same_as_python(f"def main():\n    return {expr}\n")


POWER_ERROR = ("ValueError", "negative number cannot be raised to a fractional power")


@pytest.mark.parametrize(
    "body",
    [
        "return (-8) ** 0.5",
        "x = -8.0\n    x **= 0.5\n    return x",
        "return pow(-8, 0.5)",
        "return [(-1) ** 0.5 for i in range(1)]",
    ],
)
def test_power_with_a_complex_result_raises_as_pow_does(body: str) -> None:
    r = run_pure(f"def main():\n    {body}\n")
    assert r.status == "failed"
    assert r.error is not None
    assert (r.error.type, r.error.message) == POWER_ERROR


def test_power_error_can_be_caught_in_the_program() -> None:
    source = (
        "def main():\n"
        "    out = []\n"
        "    for f in [lambda: (-8) ** 0.5, lambda: pow(-8, 0.5)]:\n"
        "        try:\n"
        "            f()\n"
        "        except ValueError as e:\n"
        "            out.append(str(e))\n"
        "    return out\n"
    )
    assert run_pure(source).result == [POWER_ERROR[1]] * 2


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ('"ab" * 10**8', "result of 200000000 characters is over the limit of 1000"),
        ('10**8 * "ab"', "result of 200000000 characters is over the limit of 1000"),
        ("[1, 2] * 10**8", "result of 200000000 elements is over the limit of 1000"),
        ("(1,) * 10**30", f"result of {10**30} elements is over the limit of 1000"),
        ('"x".ljust(10**9)', "result of 1000000000 characters is over the limit of 1000"),
        ('"x".center(10**20)', f"result of {10**20} characters is over the limit of 1000"),
        ('"%5000d" % 1', "str of 5000 characters is over the limit of 1000"),
        ("list(range(10**8))", "range of 100000000 elements is over the limit of 1000"),
    ],
)
def test_size_limit_messages_describe_the_refused_value(expr: str, message: str) -> None:
    r = run_pure(f"def main():\n    return {expr}\n", limits=Limits(max_collection=1000))
    assert r.error is not None and r.error.type == "LimitExceeded"
    assert r.error.message == message


@pytest.mark.parametrize(
    "expr",
    [
        "[range(5).count(x) for x in [3, 3.0, 3.5, 'a', None, True]]",
        "[range(0, 10, 2).index(x) for x in [4, 4.0, False]]",
        "range(5).index(3.5)",
        "range(5).index('a')",
        "range(5).index(7)",
    ],
)
def test_range_count_and_index_match_cpython(
    expr: str, same_as_python: Callable[[str], Any]
) -> None:
    same_as_python(f"def main():\n    return {expr}\n")


@pytest.mark.timeout(30)
def test_range_count_and_index_of_a_non_int_in_a_huge_range_answer_at_once() -> None:
    source = (
        "def main():\n"
        "    r = range(10**18)\n"
        "    try:\n"
        "        r.index('a')\n"
        "    except ValueError as e:\n"
        "        return [r.count('a'), r.count(5.0), r.index(5.0), str(e)]\n"
    )
    r = run_pure(source)
    assert r.result == [0, 1, 5, "sequence.index(x): x not in sequence"]
