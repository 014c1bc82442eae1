"""What an interpreter process reports to Prometheus (served on FLOWMETAL_METRICS_PORT).

Every number is read from the loop when the page is scraped (on the metrics
server's thread, so each reader copies before it iterates): the loop keeps
its totals anyway (`Interpreter.stats`, the restorer's reports), so metrics
cost the Kafka loop nothing. Steps and dead letters count records handled,
including those of a transaction that was then aborted and read again
(`aborts` says how often that happened).
"""

from __future__ import annotations

from collections.abc import Callable

from flowmetal.interpreter.loop import Interpreter
from flowmetal.metrics import Registry

_TOTALS = {
    "steps": "Task steps run (one per inbox record that reached a task).",
    "commits": "Transactions committed.",
    "aborts": "Transactions aborted (their records are read again).",
    "timers": "Timers fired into the inbox.",
    "dead_letters": "Inbox records sent to the dead-letter topic.",
}


def interpreter_metrics(interpreter: Interpreter) -> Registry:
    registry = Registry()
    registry.add(interpreter.step_seconds)
    registry.add(interpreter.commit_seconds)
    stats = interpreter.stats
    for key, help_text in _TOTALS.items():
        registry.counted(f"flowmetal_interpreter_{key}_total", help_text, _reader(stats, key))
    registry.gauge(
        "flowmetal_interpreter_partitions_owned",
        "Inbox partitions this process owns.",
        lambda: len(interpreter.owned),
    )
    registry.gauge(
        "flowmetal_interpreter_tasks_cached",
        "Tasks kept in memory between transactions (recently stepped, finished ones too).",
        lambda: len(interpreter.engine.cache),
    )
    registry.gauge(
        "flowmetal_interpreter_timers_pending",
        "Timers the tasks of the owned partitions wait for (fired ones until handled).",
        interpreter.timers.count,
    )
    registry.counted(
        "flowmetal_interpreter_restore_records_total",
        "State records replayed to restore partitions on assignment.",
        lambda: sum(r.records for r in list(interpreter.restorer.reports)),
    )
    registry.counted(
        "flowmetal_interpreter_restore_seconds_total",
        "Seconds spent restoring partitions on assignment.",
        lambda: sum(r.seconds for r in list(interpreter.restorer.reports)),
    )
    return registry


def _reader(stats: dict[str, int], key: str) -> Callable[[], float]:
    return lambda: stats[key]
