"""VM benchmark: instructions per second, Flowmetal/CPython time ratios, snapshot cost.

Run from the repository root:

    .venv/bin/python bench/vm.py            # full run (about a minute)
    .venv/bin/python bench/vm.py --quick    # smaller workloads, for a smoke test

Each workload is one source text with a `main()`. CPython runs it by
importing it from a temporary file and calling main(); Flowmetal runs the
same text as a task (`Task.new` then `step` until it ends, continuing after
every fuel yield, as run_pure does), so the time includes everything a real
step does except encoding the state. Instructions are counted from the
fuel: a step that yields used all of it, the last one used `fuel -
vm.fuel_left`. The machine is shared and noisy: the *ratios* are what to compare
between runs. Times are this process's CPU time (`time.process_time`),
the best of a few repeats (five times as many for the cheap CPython runs), so that other work on the machine inflates them
less than it would wall-clock time.

The snapshot part starts a task that builds a list of N elements and then
waits in `receive()`, and times `task.snapshot()` and `Task.restore()`; then
the same for a fan-out parent waiting in `wait_all` on 300 spawned children,
150 of them answered (many small heap entries: a handle, a pending request
and a result per child).
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from flowmetal.compile import compile_program
from flowmetal.protocol import Message, SpawnTask
from flowmetal.vm import Limits, Task
from flowmetal.vm.task import DefaultHost

WORKLOADS: dict[str, str] = {
    "loops": """
def main(n=200000):
    total = 0
    i = 0
    while i < n:
        if i % 3 == 0:
            total += i
        else:
            total -= 1
        i += 1
    for j in range(n):
        total ^= j
    return total
""",
    "calls": """
def add(a, b=1):
    return a + b


def main(n=50000):
    total = 0
    for i in range(n):
        total = add(total, i % 7)
    return total
""",
    "fib20": """
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def main():
    return fib(20)
""",
    "strings": """
def main(n=20000):
    parts = []
    for i in range(n):
        parts.append(f"item-{i:05d}")
    text = ",".join(parts)
    words = text.split(",")
    upper = [w.upper() for w in words if w.endswith("7")]
    return [len(text), len(upper), upper[:2]]
""",
    "dicts": """
def main(n=50000):
    counts = {}
    for i in range(n):
        key = "k" + str(i % 1000)
        counts[key] = counts.get(key, 0) + 1
    inverted = {}
    for k, v in counts.items():
        inverted.setdefault(v, []).append(k)
    return [len(counts), sorted(inverted)[:3], sum(counts.values())]
""",
}

SNAPSHOT_SOURCE = """
from flow.task import receive


def main(n):
    data = [i if i % 2 else str(i) for i in range(n)]
    message = receive()
    return len(data)
"""


# A fan-out parent: its state is many small entries (a handle, a pending request and a
# result per child), the kind of heap a host snapshots after every step of a wait_all.
PARENT_SOURCE = """
from flow.task import spawn, wait_all


def square(i):
    return i * i


def main(n):
    children = [spawn(square, i) for i in range(n)]
    return sum(wait_all(children))
"""


class BenchHost(DefaultHost):
    """The default clock and randomness; callback URLs of a made-up server."""

    def callback_url(self, task_id: str, callback_id: str) -> str:
        return f"http://localhost/callbacks/{task_id}/{callback_id}"


def start_message(task_id: str) -> Message:
    return Message(task_id=task_id, kind="start", id=f"{task_id}.start", payload={})


def continue_message(task_id: str, n: int) -> Message:
    return Message(task_id=task_id, kind="continue", id=f"{task_id}.continue.{n}")


def run_task(program: Any, task_id: str, args: list[Any], fuel: int) -> tuple[Task, Any, int]:
    """Run a task until it stops yielding; return it, its last StepResult and the instructions used.

    The per-step snapshot-size check is off here (as in run_pure) so that the
    numbers are the VM's alone; the snapshot section measures encoding.
    """
    task = Task.new(
        program, task_id, entry="main", args=args, limits=Limits(fuel=fuel), host=BenchHost()
    )
    task.check_snapshot = False
    result = task.step(start_message(task_id))
    yields = 0
    while result.status == "yielded":
        yields += 1
        result = task.step(continue_message(task_id, yields))
    # A yielded step used all its fuel; the last one left `fuel_left` unused.
    instructions = yields * fuel + (fuel - task.vm.fuel_left)
    return task, result, instructions


def cpython_main(source: str, name: str) -> Any:
    """Import `source` as a module from a temporary file and return its main function."""
    folder = Path(tempfile.mkdtemp(prefix="flowmetal-bench-"))
    path = folder / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def best_of(repeats: int, fn: Any, *args: Any) -> tuple[float, Any]:
    """The fastest of `repeats` calls of fn(*args), and the value of the last."""
    times, value = [], None
    for _ in range(repeats):
        t0 = time.process_time()
        value = fn(*args)
        times.append(time.process_time() - t0)
    return min(times), value


def bench_workloads(repeats: int, scale: float) -> list[dict[str, Any]]:
    rows = []
    fuel = 100_000
    for name, source in WORKLOADS.items():
        program = compile_program(source, f"{name}.flow")
        args: list[Any] = []
        if "n=" in source:
            default = int(source.split("n=")[1].split(")")[0])
            args = [max(int(default * scale), 10)]
        py_main = cpython_main(source, name)
        py_time, py_value = best_of(repeats * 5, py_main, *args)  # cheap: more tries, less noise
        fm_time, (task, result, instructions) = best_of(
            repeats, run_task, program, f"bench-{name}", args, fuel
        )
        if result.status != "done" or result.result != _jsonable(py_value):
            raise SystemExit(
                f"{name}: Flowmetal gave {result.status} {result.result!r}, CPython {py_value!r}"
            )
        rows.append(
            {
                "workload": name,
                "cpython_s": py_time,
                "flowmetal_s": fm_time,
                "ratio": fm_time / py_time if py_time else float("inf"),
                "instructions": instructions,
                "ips": instructions / fm_time if fm_time else 0.0,
            }
        )
    return rows


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def bench_snapshots(sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    program = compile_program(SNAPSHOT_SOURCE, "snapshot.flow")
    rows = []
    for n in sizes:
        task, result, _ = run_task(program, f"snap-{n}", [n], 1_000_000)
        if result.status != "waiting":
            raise SystemExit(f"snapshot task for n={n} is {result.status}: {result.error}")
        encode_times, decode_times = [], []
        data = b""
        for _ in range(repeats):
            t0 = time.process_time()
            data = task.snapshot()
            encode_times.append(time.process_time() - t0)
            t0 = time.process_time()
            Task.restore(data, program, limits=Limits(), host=BenchHost())
            decode_times.append(time.process_time() - t0)
        rows.append(
            {
                "elements": n,
                "bytes": len(data),
                "encode_ms": min(encode_times) * 1000,
                "decode_ms": min(decode_times) * 1000,
            }
        )
    return rows


def bench_parent_snapshot(children: int, repeats: int) -> dict[str, Any]:
    """Snapshot cost of a parent waiting on `children` children, half of them answered."""
    program = compile_program(PARENT_SOURCE, "parent.flow")
    task = Task.new(program, "parent", args=[children], host=BenchHost())
    task.check_snapshot = False
    spawns = [e for e in task.step(start_message("parent")).effects if isinstance(e, SpawnTask)]
    for k, spawn in enumerate(spawns[: children // 2]):
        answer = Message("parent", "response", f"parent.r{k}", spawn.id, {"ok": True, "value": k})
        task.step(answer)
    if task.status != "waiting":
        raise SystemExit(f"parent task is {task.status}: {task.error}")
    encode_times, decode_times = [], []
    data = b""
    for _ in range(repeats * 10):  # cheap: more tries for a steadier best
        t0 = time.process_time()
        data = task.snapshot()
        encode_times.append(time.process_time() - t0)
        t0 = time.process_time()
        Task.restore(data, program, limits=Limits(), host=BenchHost())
        decode_times.append(time.process_time() - t0)
    return {
        "children": children,
        "bytes": len(data),
        "encode_ms": min(encode_times) * 1000,
        "decode_ms": min(decode_times) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small workloads, one repeat")
    opts = parser.parse_args()
    repeats, scale = (1, 0.1) if opts.quick else (3, 1.0)

    print(f"python {platform.python_version()} on {platform.machine()}, {sys.platform}")
    print()
    print(
        f"{'workload':<10} {'CPython s':>10} {'Flowmetal s':>12} {'ratio':>7} {'instructions':>13} {'instr/s':>11}"
    )
    rows = bench_workloads(repeats, scale)
    for r in rows:
        print(
            f"{r['workload']:<10} {r['cpython_s']:>10.4f} {r['flowmetal_s']:>12.4f} {r['ratio']:>6.1f}x "
            f"{r['instructions']:>13,} {r['ips']:>11,.0f}"
        )
    print(f"{'median':<10} {'':>10} {'':>12} {statistics.median(r['ratio'] for r in rows):>6.1f}x")
    print()
    print(f"{'snapshot of':<14} {'bytes':>11} {'encode ms':>10} {'decode ms':>10}")
    sizes = [1_000, 10_000] if opts.quick else [1_000, 100_000]
    for s in bench_snapshots(sizes, repeats):
        print(
            f"{s['elements']:>7,} items {s['bytes']:>11,} {s['encode_ms']:>10.2f} {s['decode_ms']:>10.2f}"
        )
    p = bench_parent_snapshot(300, repeats)
    print(
        f"{'parent, ' + str(p['children']) + ' ch.':<14} {p['bytes']:>11,} {p['encode_ms']:>10.2f} {p['decode_ms']:>10.2f}"
    )


if __name__ == "__main__":
    main()
