"""Property: generated control flow (loops, break/continue, try/except/finally, return, with)
behaves as in CPython."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vm_differential import run_cpython, run_flowmetal


@st.composite
def blocks(draw: Any, depth: int, loops: list[str], indent: str) -> list[str]:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        lines.extend(draw(statements(depth, loops, indent)))
    return lines


def _var(draw: Any, loops: list[str]) -> str:
    return draw(st.sampled_from(["k", "len(acc)", *loops]))


@st.composite
def statements(draw: Any, depth: int, loops: list[str], indent: str) -> list[str]:
    v = lambda: _var(draw, loops)  # noqa: E731
    cond = f"({v()} + {draw(st.integers(0, 5))}) % {draw(st.integers(2, 4))} == 0"
    simple = [
        [f"{indent}acc.append({v()} * {draw(st.integers(-2, 3))})"],
        [f"{indent}if {cond}:", f"{indent}    return [{v()}, acc]"],
        [f"{indent}if {cond}:", f"{indent}    raise ValueError({v()})"],
    ]
    if loops:
        simple.append(
            [f"{indent}if {cond}:", f"{indent}    {draw(st.sampled_from(['break', 'continue']))}"]
        )
    if depth >= 3:
        return draw(st.sampled_from(simple))
    inner = indent + "    "
    kind = draw(st.integers(0, 6))
    if kind == 0:
        name = f"i{depth}"
        return [f"{indent}for {name} in range({draw(st.integers(0, 4))}):"] + draw(
            blocks(depth + 1, [*loops, name], inner)
        )
    if kind == 1:
        name = f"w{depth}"
        return [
            f"{indent}{name} = 0",
            f"{indent}while {name} < {draw(st.integers(0, 4))}:",
            f"{inner}{name} += 1",
        ] + draw(blocks(depth + 1, [*loops, name], inner))
    if kind == 2:
        lines = [f"{indent}try:"] + draw(blocks(depth + 1, loops, inner))
        lines += [
            f"{indent}except ValueError as e{depth}:",
            f"{inner}acc.append(('ve', e{depth}.args))",
        ]
        if draw(st.booleans()):
            lines += [f"{indent}else:", f"{inner}acc.append('else')"]
        if draw(st.booleans()):
            lines += [f"{indent}finally:", f"{inner}acc.append('fin')"]
            if draw(st.booleans()):
                lines += [f"{inner}if {cond}:", f"{inner}    return 'from finally'"]
        return lines
    if kind == 3:
        return (
            [f"{indent}try:"]
            + draw(blocks(depth + 1, loops, inner))
            + [
                f"{indent}finally:",
                f"{inner}acc.append('f{depth}')",
            ]
        )
    if kind == 4:
        return [f"{indent}with forever():"] + draw(blocks(depth + 1, loops, inner))
    if kind == 5:
        return (
            [f"{indent}if {cond}:"]
            + draw(blocks(depth + 1, loops, inner))
            + [
                f"{indent}else:",
                f"{inner}acc.append('no')",
            ]
        )
    return draw(st.sampled_from(simple))


@st.composite
def programs(draw: Any) -> str:
    body = "\n".join(draw(blocks(0, [], "    ")))
    return (
        "IMPORT\n"
        "def f(k):\n"
        "    acc = []\n"
        f"{body}\n"
        "    return acc\n"
        "def main():\n"
        "    out = []\n"
        "    for k in range(4):\n"
        "        try:\n"
        "            out.append(f(k))\n"
        "        except ValueError as e:\n"
        "            out.append(['raised', e.args])\n"
        "    return out\n"
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=programs())
def test_generated_control_flow_matches_cpython(source: str) -> None:
    flowmetal = source.replace("IMPORT", "from flow.time import forever")
    python = source.replace("IMPORT", "from contextlib import nullcontext as forever")
    assert run_flowmetal(flowmetal) == run_cpython(python), flowmetal
