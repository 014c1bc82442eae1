"""Limits (fuel, depth, sizes) and how errors read: Flowmetal tracebacks, never Python's."""

from __future__ import annotations

import textwrap

import pytest

from flowmetal import protocol
from flowmetal.compile import compile_program
from flowmetal.vm import Limits, Task, run_pure
from flowmetal.vm.testing import Driver

LOOP = textwrap.dedent(
    """
    def main(n):
        total = 0
        xs = []
        for i in range(n):
            total += i * i
            xs.append(total % 7)
        return [total, sum(xs)]
    """
)


def test_fuel_yields_and_resumes_with_the_same_result() -> None:
    expected = run_pure(LOOP, args=[500]).result
    d = Driver(LOOP, args=[500], limits=Limits(fuel=50), auto_continue=False)
    r = d.start()
    steps = 1
    while r.status == "yielded":
        assert r.effects == []
        r = d.deliver("continue")
        steps += 1
    assert r.status == "done"
    assert r.result == expected
    assert steps > 20


def test_continue_is_ignored_unless_yielded() -> None:
    d = Driver("def main():\n    return 1\n", auto_continue=False)
    assert d.deliver("continue").status == "running"  # not started: nothing happens
    assert d.start().result == 1
    assert d.deliver("continue").effects == []


def test_recursion_limit_raises_recursion_error_in_the_program() -> None:
    source = textwrap.dedent(
        """
        def down(n):
            return down(n + 1)
        def main():
            try:
                down(0)
            except RecursionError as e:
                return str(e)
        """
    )
    r = run_pure(source, limits=Limits(max_depth=50))
    assert r.result == "maximum recursion depth exceeded"


def test_deep_recursion_traceback_is_collapsed() -> None:
    r = run_pure("def f(n):\n    return f(n + 1)\ndef main():\n    f(0)\n", "deep.flow")
    assert r.error is not None and r.error.type == "RecursionError"
    assert "[Previous line repeated" in r.error.traceback
    assert r.error.traceback.count("\n") < 30


@pytest.mark.parametrize(
    "body",
    [
        "x = [0] * 2000",
        "x = 'ab' * 1000",
        "x = [i for i in range(5000)]",
        "x = list(range(5000))",
        "x = 2 ** 100000",
        "x = 's'\n    while True:\n        x = x + x",
        "x = []\n    while True:\n        x.append(1)",
        "d = {}\n    for i in range(5000):\n        d[i] = i",
        "x = [1]\n    x += [2] * 1000\n    x += x",
        "x = [0] * 10**20",
        "x = 'ab' * 10**30",
        "x = [1]\n    x += [2] * 10**19",
        "x = list(range(10**20))",
        "x = [*range(10**20)]",
        "x = {*range(10**20)}",
        # Iterators over ranges: their items do not exist yet, so they are checked too.
        "x = list(iter(range(10**12)))",
        "x = sorted(iter(range(10**12)))",
        "x = sum(iter(range(10**12)))",
        "x = [*iter(range(10**12))]",
        "a, *b = iter(range(10**12))",
        "x = ''.join(iter(range(10**12)))",
        "x = []\n    x.extend(iter(range(10**12)))",
        "x = {1: 2}.keys() | range(10**12)",
        "x = {1: 2}.keys() - iter(range(10**12))",
        "x = list(zip(range(10**12), iter(range(10**12))))",
        "x = list(zip(range(10**20), range(10**20)))",
        "x = []\n    x.extend(range(10**20))",
        "x = {-1}.isdisjoint(range(10**18))",
        "x = set().issubset(iter(range(10**18)))",
        "x = frozenset().intersection(range(10**18))",
        "x = []\n    x += iter(range(10**18))",
        "x = all(range(1, 10**12))",
        "x = -1 in iter(range(10**12))",
    ],
)
def test_collection_size_limit_raises_limit_exceeded(body: str) -> None:
    source = f"def main():\n    {body}\n    return 0\n"
    r = run_pure(source, limits=Limits(max_collection=1000))
    assert r.status == "failed", source
    assert r.error is not None and r.error.type == "LimitExceeded", r.error


def test_limit_exceeded_can_be_caught() -> None:
    source = "def main():\n    try:\n        x = [0] * 10**12\n    except LimitExceeded:\n        return 'caught'\n"
    assert run_pure(source).result == "caught"


def test_snapshot_size_limit_fails_the_task() -> None:
    source = textwrap.dedent(
        """
        from flow.time import sleep
        def main():
            big = ["x" * 100 for i in range(1000)]
            sleep(1)
            return len(big)
        """
    )
    d = Driver(source, limits=Limits(max_snapshot=10_000))
    r = d.start()
    assert r.status == "failed"
    assert r.error is not None and r.error.type == "LimitExceeded"
    assert "snapshot limit" in r.error.message
    assert isinstance(r.effects[-1], protocol.TaskFinished)


def test_traceback_names_flowmetal_file_line_function_and_source() -> None:
    source = textwrap.dedent(
        """\
        def parse(text):
            return int(text)

        def main():
            values = ["1", "two"]
            return [parse(v) for v in values]
        """
    )
    r = run_pure(source, "prog.flow")
    assert r.error is not None
    assert r.error.type == "ValueError"
    assert r.error.message == "invalid literal for int() with base 10: 'two'"
    assert r.error.traceback == (
        "Traceback (most recent call last):\n"
        '  File "prog.flow", line 6, in main\n'
        "    return [parse(v) for v in values]\n"
        '  File "prog.flow", line 6, in <listcomp>\n'
        "    return [parse(v) for v in values]\n"
        '  File "prog.flow", line 2, in parse\n'
        "    return int(text)\n"
        "ValueError: invalid literal for int() with base 10: 'two'\n"
    )
    assert ".py" not in r.error.traceback


def test_traceback_shows_the_exception_being_handled() -> None:
    source = "def main():\n    try:\n        [][1]\n    except IndexError:\n        raise ValueError('bad')\n"
    r = run_pure(source, "prog.flow")
    assert r.error is not None
    tb = r.error.traceback
    assert "IndexError: list index out of range" in tb
    assert "During handling of the above exception, another exception occurred:" in tb
    assert tb.endswith("ValueError: bad\n")


CHAINED = textwrap.dedent(
    """\
    def main(how):
        try:
            [][1]
        except IndexError as e:
            if how == "none":
                raise ValueError("bad") from None
            raise ValueError("bad") from e
    """
)


def test_raise_from_none_hides_the_context() -> None:
    r = run_pure(CHAINED, "prog.flow", args=["none"])
    assert r.error is not None
    assert r.error.traceback == (
        "Traceback (most recent call last):\n"
        '  File "prog.flow", line 6, in main\n'
        '    raise ValueError("bad") from None\n'
        "ValueError: bad\n"
    )


def test_raise_from_shows_the_direct_cause() -> None:
    r = run_pure(CHAINED, "prog.flow", args=["cause"])
    assert r.error is not None
    assert r.error.traceback == (
        "Traceback (most recent call last):\n"
        '  File "prog.flow", line 3, in main\n'
        "    [][1]\n"
        "IndexError: list index out of range\n"
        "\n"
        "The above exception was the direct cause of the following exception:\n"
        "\n"
        "Traceback (most recent call last):\n"
        '  File "prog.flow", line 7, in main\n'
        '    raise ValueError("bad") from e\n'
        "ValueError: bad\n"
    )


def test_cause_context_and_suppress_context_are_python_s(same_as_python) -> None:
    same_as_python(
        textwrap.dedent(
            """
            def name(e):
                return None if e is None else type(e).__name__
            def describe(e):
                return [name(e.__cause__), name(e.__context__), e.__suppress_context__]
            def main():
                out = []
                for how in ["plain", "from", "from None", "outside"]:
                    try:
                        if how == "outside":
                            raise KeyError("k") from TypeError("t")
                        try:
                            [][1]
                        except IndexError:
                            if how == "plain":
                                raise KeyError("k")
                            if how == "from":
                                raise KeyError("k") from TypeError("t")
                            raise KeyError("k") from None
                    except KeyError as e:
                        out.append(describe(e))
                return out
            """
        )
    )


def test_missing_entry_point_and_bad_arguments_fail_cleanly() -> None:
    r = run_pure("def main(a):\n    return a\n", entry="nope")
    assert r.error is not None and r.error.type == "NameError"
    r = run_pure("def main(a):\n    return a\n")
    assert r.error is not None and r.error.type == "TypeError"
    assert "missing 1 required positional argument: 'a'" in r.error.message


def test_the_module_body_runs_before_main() -> None:
    source = "X = [1]\nX.append(2)\ndef main():\n    return X\n"
    assert run_pure(source).result == [1, 2]


def test_print_output_is_collected() -> None:
    r = run_pure("def main():\n    print('a', 1)\n    print([None])\n")
    assert r.output == ["a 1", "[None]"]


def test_task_new_and_status_before_start() -> None:
    program = compile_program("def main():\n    return 2\n", "p.flow")
    task = Task.new(program, "t7")
    assert task.status == "running"
    r = task.step(protocol.Message("t7", "start", "m1"))
    assert (r.status, task.status, r.result) == ("done", "done", 2)
