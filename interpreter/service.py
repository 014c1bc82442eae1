"""The interpreter process: configuration, start-up, signals, exit codes.

    python -m flowmetal.interpreter [--group G] [--batch N] [--commit-ms MS] ...
    flowmetal interpreter ...                      (the same, from the CLI)

Start-up: read Settings (FLOWMETAL_*), make sure the topics exist, open the
RocksDB cache under FLOWMETAL_STATE_DIR (one directory per group and
instance: RocksDB locks it), start following the program store, then run the
loop (loop.py) until SIGTERM or SIGINT. With --metrics-port (or
FLOWMETAL_METRICS_PORT), Prometheus metrics are served on that port
(metrics.py).

Exit codes: 0 after a clean stop (the open transaction committed or aborted,
the group left); 1 on a fatal Kafka error, fencing, or a cache that cannot be
used (crash-only: the consumer group hands the partitions to someone else);
2 on bad configuration.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import re
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowmetal.config import Settings
from flowmetal.errors import ServiceError
from flowmetal.interpreter.loop import LoopOptions
from flowmetal.interpreter.metrics import interpreter_metrics
from flowmetal.metrics import MetricsServer, port_from_env

log = logging.getLogger("flowmetal.interpreter")


@dataclass(frozen=True)
class ServiceOptions:
    """Everything `run` needs besides Settings."""

    loop: LoopOptions
    store: str = "rocksdb"  # "rocksdb" | "memory"
    fuel: int | None = None
    metrics_port: int | None = None  # None: no metrics server


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ServiceError(f"{name} must be a whole number, not {raw!r}") from None


def options_from_env(
    group: str | None = None,
    batch: int | None = None,
    commit_ms: int | None = None,
    session_timeout_ms: int | None = None,
    transaction_timeout_ms: int | None = None,
    instance_id: str | None = None,
    store: str | None = None,
    fuel: int | None = None,
    idle_commit: bool | None = None,
    metrics_port: int | None = None,
    *,
    topic_prefix: str = Settings.topic_prefix,
) -> ServiceOptions:
    """Options from arguments, falling back to FLOWMETAL_GROUP, _BATCH, _COMMIT_MS, ...

    The group defaults to `<topic prefix>interpreter`, as connectors' groups default to
    `<topic prefix>connector.<kind>`: two deployments on one cluster stay apart."""
    defaults = LoopOptions()
    loop = LoopOptions(
        group=group or os.environ.get("FLOWMETAL_GROUP") or f"{topic_prefix}interpreter",
        batch=batch or _env_int("FLOWMETAL_BATCH", defaults.batch),
        commit_ms=commit_ms
        if commit_ms is not None
        else _env_int("FLOWMETAL_COMMIT_MS", defaults.commit_ms),
        session_timeout_ms=session_timeout_ms
        or _env_int("FLOWMETAL_SESSION_TIMEOUT_MS", defaults.session_timeout_ms),
        transaction_timeout_ms=transaction_timeout_ms
        or _env_int("FLOWMETAL_TRANSACTION_TIMEOUT_MS", defaults.transaction_timeout_ms),
        instance_id=instance_id or os.environ.get("FLOWMETAL_INSTANCE_ID", ""),
        idle_commit=idle_commit
        if idle_commit is not None
        else os.environ.get("FLOWMETAL_IDLE_COMMIT", "1") not in ("0", "false", "no"),
    )
    if loop.batch < 1 or loop.commit_ms < 0:
        raise ServiceError("--batch must be at least 1 and --commit-ms at least 0")
    if loop.commit_ms * 2 > loop.transaction_timeout_ms:
        raise ServiceError(
            f"--commit-ms {loop.commit_ms} must stay well below the transaction timeout "
            f"({loop.transaction_timeout_ms} ms), or the broker aborts open transactions"
        )
    chosen = store or os.environ.get("FLOWMETAL_STORE") or "rocksdb"
    if chosen not in ("rocksdb", "memory"):
        raise ServiceError(f"the store is 'rocksdb' or 'memory', not {chosen!r}")
    if metrics_port is None:
        metrics_port = port_from_env()
    return ServiceOptions(loop=loop, store=chosen, fuel=fuel, metrics_port=metrics_port)


def store_path(settings: Settings, loop: LoopOptions) -> Path:
    """Where this process's RocksDB cache lives: one directory per group (and instance)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", loop.group)
    if loop.instance_id:
        name += "." + re.sub(r"[^A-Za-z0-9_.-]+", "_", loop.instance_id)
    return Path(settings.state_dir) / "interpreter" / name


def build(settings: Settings, options: ServiceOptions) -> Any:
    """The Interpreter for `settings`, with its store, program table and limits."""
    from flowmetal.interpreter.hosting import Programs, limits_from_env
    from flowmetal.interpreter.loop import Interpreter
    from flowmetal.interpreter.store import MemoryStore, RocksStore, TaskStore
    from flowmetal.kafka import admin, ensure_topics, partition_counts
    from flowmetal.programs import ProgramTable

    ensure_topics(settings)
    # The topics' real partition count wins over FLOWMETAL_PARTITIONS (the engine checks
    # that each record sits on its task's partition).
    inbox = partition_counts(admin(settings)).get(settings.topic("inbox"), settings.partitions)
    settings = dataclasses.replace(settings, partitions=inbox)
    store: TaskStore
    if options.store == "memory":
        store = MemoryStore()
    else:
        store = RocksStore(store_path(settings, options.loop))
    table = ProgramTable(settings).start(interval=1.0)
    limits = limits_from_env(fuel=options.fuel) if options.fuel else limits_from_env()
    return Interpreter(settings, options.loop, store, Programs(table), limits)


def run(settings: Settings, options: ServiceOptions) -> int:
    """Run until SIGTERM/SIGINT; return the process exit code (see the module docstring)."""
    from flowmetal.interpreter.transaction import FatalError

    try:
        interpreter = build(settings, options)
    except ServiceError as exc:
        log.error("cannot start: %s", exc)
        return 1

    def on_signal(signum: int, _frame: Any) -> None:
        log.info(
            "%s: finishing the open transaction and leaving the group", signal.Signals(signum).name
        )
        interpreter.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    metrics = None
    try:
        if options.metrics_port is not None:
            registry = interpreter_metrics(interpreter)
            metrics = MetricsServer(registry, options.metrics_port).start()
        interpreter.run()
    except FatalError as exc:
        log.error("fatal: %s", exc)
        return 1
    except ServiceError as exc:
        log.error("stopped: %s", exc)
        return 1
    except Exception:  # crash-only: anything unexpected ends the process, loudly
        log.exception("stopped by an unexpected error")
        return 1
    finally:
        if metrics is not None:
            metrics.close()
    log.info("stopped cleanly: %s", interpreter.stats)
    return 0


def setup_logging(level: str | None = None) -> None:
    logging.basicConfig(
        level=(level or os.environ.get("FLOWMETAL_LOG_LEVEL") or "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s",
        stream=sys.stderr,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m flowmetal.interpreter", description="Run a Flowmetal interpreter."
    )
    parser.add_argument("--group", help="consumer group (FLOWMETAL_GROUP)")
    parser.add_argument("--batch", type=int, help="records per transaction, at most")
    parser.add_argument("--commit-ms", type=int, help="how long a transaction collects, ms")
    parser.add_argument("--session-timeout-ms", type=int)
    parser.add_argument("--transaction-timeout-ms", type=int)
    parser.add_argument("--instance-id", help="stable id: a restart fences its predecessor")
    parser.add_argument("--store", choices=["rocksdb", "memory"])
    parser.add_argument("--fuel", type=int, help="instructions per step")
    parser.add_argument(
        "--no-idle-commit",
        dest="idle_commit",
        action="store_false",
        default=None,
        help="keep a transaction open for the whole --commit-ms even when input runs dry",
    )
    parser.add_argument(
        "--metrics-port", type=int, help="serve Prometheus /metrics here (FLOWMETAL_METRICS_PORT)"
    )
    parser.add_argument("--log-level")
    args = parser.parse_args(argv)
    setup_logging(args.log_level)
    try:
        settings = Settings.from_env()
        options = options_from_env(
            args.group,
            args.batch,
            args.commit_ms,
            args.session_timeout_ms,
            args.transaction_timeout_ms,
            args.instance_id,
            args.store,
            args.fuel,
            args.idle_commit,
            args.metrics_port,
            topic_prefix=settings.topic_prefix,
        )
    except ServiceError as exc:
        log.error("%s", exc)
        return 2
    return run(settings, options)
