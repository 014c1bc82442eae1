"""The deadline index: which timers of the owned partitions are due, and when the next one is.

Timers belong to the partition that owns the task (DESIGN.md "Timers"). A
task's pending timers are part of its `state` record (field `timers`, ids and
absolute deadlines), so they survive restarts and moves; this index is the
in-memory view the loop polls, loaded from the store's deadline index on
restore and kept current as steps start and cancel timers.

Firing a timer means producing a `timer` message into the task's inbox inside
the loop's transaction: the firing is an event in the log like any other.
The timer stays in the task's state until that message is consumed; until
then the index remembers it as fired so it does not fire again. If the
transaction aborts, the loop reloads the index from the store, which makes
the timer due again. After a crash between the commit of a firing and the
consumption of its message the timer fires once more; the VM ignores a timer
it no longer waits for, so that is harmless.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flowmetal.interpreter.store import Deadline


@dataclass
class _Partition:
    pending: dict[str, dict[str, int]] = field(default_factory=dict)
    fired: set[tuple[str, str]] = field(default_factory=set)
    heap: list[tuple[int, str, str]] = field(default_factory=list)


class TimerIndex:
    """Pending timers of every owned partition, earliest first."""

    def __init__(self) -> None:
        self._parts: dict[int, _Partition] = {}

    def load(self, partition: int, deadlines: Iterable[Deadline]) -> int:
        """Replace `partition`'s timers with `deadlines` (from the store); return how many."""
        part = _Partition()
        for d in deadlines:
            part.pending.setdefault(d.task_id, {})[d.timer_id] = d.deadline_ms
            part.heap.append((d.deadline_ms, d.task_id, d.timer_id))
        heapq.heapify(part.heap)
        self._parts[partition] = part
        return len(part.heap)

    def drop(self, partition: int) -> None:
        self._parts.pop(partition, None)

    def partitions(self) -> list[int]:
        return list(self._parts)

    def set_task(self, partition: int, task_id: str, timers: Mapping[str, int]) -> None:
        """The task's pending timers are now `timers` (id -> deadline ms)."""
        part = self._parts.setdefault(partition, _Partition())
        old = part.pending.get(task_id, {})
        # A fired timer whose message is not yet consumed must not fire twice; one that
        # is gone from the task (consumed or cancelled) needs no memory any more.
        part.fired = {(t, i) for (t, i) in part.fired if t != task_id or i in timers}
        if not timers:
            part.pending.pop(task_id, None)
            return
        part.pending[task_id] = dict(timers)
        for timer_id, deadline in timers.items():
            if old.get(timer_id) != deadline:
                heapq.heappush(part.heap, (deadline, task_id, timer_id))

    def _current(self, part: _Partition, deadline: int, task_id: str, timer_id: str) -> bool:
        return (
            part.pending.get(task_id, {}).get(timer_id) == deadline
            and (task_id, timer_id) not in part.fired
        )

    def due(self, now_ms: int, limit: int = 10_000) -> list[tuple[int, Deadline]]:
        """Pop up to `limit` timers due at `now_ms` as (partition, deadline); mark them fired."""
        found: list[tuple[int, Deadline]] = []
        for partition, part in self._parts.items():
            while part.heap and part.heap[0][0] <= now_ms and len(found) < limit:
                deadline, task_id, timer_id = heapq.heappop(part.heap)
                if self._current(part, deadline, task_id, timer_id):
                    part.fired.add((task_id, timer_id))
                    found.append((partition, Deadline(deadline, task_id, timer_id)))
        return found

    def next_deadline(self) -> int | None:
        """The earliest pending deadline (ms), or None; drops stale heap heads on the way."""
        best: int | None = None
        for part in self._parts.values():
            while part.heap and not self._current(part, *part.heap[0]):
                heapq.heappop(part.heap)
            if part.heap and (best is None or part.heap[0][0] < best):
                best = part.heap[0][0]
        return best

    def count(self) -> int:
        """Timers the tasks still wait for (fired ones too until their message is handled).

        Safe to call from another thread (the metrics page): list() copies a dict's values
        in one step under the GIL, where iterating it could meet the loop's changes."""
        return sum(
            len(timers)
            for part in list(self._parts.values())
            for timers in list(part.pending.values())
        )
