"""flow.random: numbers from the host's generator, kept in the task's state."""

from __future__ import annotations

import random
import textwrap
import uuid

import pytest

from flowmetal.vm import run_value
from flowmetal.vm.testing import Driver, FixedHost

DRAWS = """
from flow.random import random, randint, uniform, choice, shuffle, sample, uuid4
from flow.time import sleep

def main():
    xs = list(range(20))
    shuffle(xs)
    first = [random(), randint(1, 6), uniform(2.0, 3.0), choice("abcdef"), xs]
    sleep(1)  # a snapshot in between: what was drawn stays drawn
    return [first, sample(range(1000), 5), uuid4(), first[4] == xs]
"""


def _run(seed: int, roundtrip: bool = False) -> object:
    d = Driver(textwrap.dedent(DRAWS), host=FixedHost(seed=seed), roundtrip=roundtrip)
    r = d.start()
    assert r.status == "waiting"
    r = d.fire("t1.1")
    assert r.status == "done", r.error
    return r.result


def test_draws_come_from_the_hosts_generator() -> None:
    first, drawn, text, same = _run(seed=7)  # type: ignore[misc]
    rng = random.Random(7)  # the same calls, in the same order, on Python's generator
    xs = list(range(20))
    rng.shuffle(xs)
    assert first == [
        rng.random(),
        rng.randint(1, 6),
        rng.uniform(2.0, 3.0),
        "abcdef"[rng.randrange(6)],
        xs,
    ]
    assert drawn == rng.sample(range(1000), 5)
    assert text == str(uuid.UUID(int=rng.getrandbits(128), version=4))
    assert same is True


def test_a_snapshot_keeps_what_was_drawn() -> None:
    assert _run(seed=3, roundtrip=True) == _run(seed=3)
    assert _run(seed=3) != _run(seed=4)


def test_the_default_host_draws_from_the_system() -> None:
    values = run_value(
        "from flow.random import randint, uuid4\n"
        "def main():\n"
        "    return [randint(1, 10) for i in range(200)] + [uuid4(), uuid4()]\n"
    )
    numbers, ids = values[:200], values[200:]
    assert set(numbers) <= set(range(1, 11)) and len(set(numbers)) > 1
    assert ids[0] != ids[1] and all(uuid.UUID(i).version == 4 for i in ids)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        ("randint(1, 2.5)", "TypeError: randint() arguments must be integers"),
        ("randint(5, 1)", "ValueError: empty range in randint(5, 1)"),
        ("uniform('a', 1)", "TypeError: uniform() arguments must be numbers"),
        ("choice([])", "IndexError: Cannot choose from an empty sequence"),
        ("choice({1, 2})", "TypeError: choice() needs a list, tuple, str or range, not set"),
        ("shuffle((1, 2))", "TypeError: shuffle() needs a list, not tuple"),
        ("sample([1, 2], 3)", "ValueError: Sample larger than population or is negative"),
        ("sample(range(10**12), 10**9)", "LimitExceeded: result of 1000000000 elements"),
    ],
)
def test_bad_arguments_fail_the_task_with_python_like_errors(call: str, error: str) -> None:
    d = Driver(
        "from flow.random import randint, uniform, choice, shuffle, sample\n"
        f"def main():\n    return {call}\n"
    )
    r = d.start()
    assert r.status == "failed"
    assert r.error is not None
    assert error in f"{r.error.type}: {r.error.message}"
