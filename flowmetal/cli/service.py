"""CLI commands of the interpreter service and its task client.

    flowmetal interpreter [--group G] [--batch N] [--commit-ms MS]
    flowmetal tasks start PROGRAM [--args JSON_ARRAY] [--id ID] [--wait] [--timeout S] [--json]
    flowmetal tasks show ID [--json]
    flowmetal tasks history ID [--json]
    flowmetal tasks send ID JSON
    flowmetal tasks cancel ID

`tasks start --wait` prints the result as one line of JSON and exits 0; a
failed or cancelled task prints its error (type, message, Flowmetal
traceback) to stderr and exits 1; no answer within --timeout exits 2.
`tasks show` and `tasks history` read the task's partition from the
beginning; for a task id they find nothing about they say so on stderr and
exit 1.
The service and client modules are imported inside the commands.
"""

from __future__ import annotations

import json
import time
from typing import Any, NoReturn

import typer

tasks_app = typer.Typer(help="Start, inspect, message and cancel tasks.", no_args_is_help=True)


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _client() -> Any:
    from flowmetal.config import Settings
    from flowmetal.interpreter.client import TaskClient

    return TaskClient(Settings.from_env())


def _json_arg(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        _fail(f"{what} is not valid JSON: {exc}", 2)


def _state_dict(record: Any) -> dict[str, Any]:
    return {
        "task_id": record.task_id,
        "status": record.status,
        "program": record.program,
        "version": record.version,
        "waiting_for": record.waiting_for,
        "result": record.result_value,
        "error": record.error_value,
        "timers": [{"id": i, "deadline_ms": d} for i, d in record.timers],
        "updated_ms": record.updated_ms,
    }


def _print_error(record: Any) -> None:
    error = record.error_value or {}
    if record.status == "cancelled" and not error:
        typer.echo(f"task {record.task_id} was cancelled", err=True)
        return
    traceback = (error.get("traceback") or "").rstrip()
    last = f"{error.get('type', 'Error')}: {error.get('message', '')}"
    if traceback:
        typer.echo(traceback, err=True)
    if not traceback.endswith(last):  # a Flowmetal traceback ends with that line already
        typer.echo(last, err=True)


def interpreter(
    group: str = typer.Option(
        None, help="Consumer group of the interpreters (default: <topic prefix>interpreter)."
    ),
    batch: int = typer.Option(None, help="Records per transaction, at most."),
    commit_ms: int = typer.Option(None, help="How long a transaction collects records, ms."),
    instance_id: str = typer.Option(None, help="Stable id: a restart fences its predecessor."),
    store: str = typer.Option(None, help="rocksdb (default) or memory."),
    session_timeout_ms: int = typer.Option(None, help="Consumer group session timeout."),
    transaction_timeout_ms: int = typer.Option(None, help="Kafka transaction timeout."),
    fuel: int = typer.Option(None, help="Instructions per step."),
    idle_commit: bool = typer.Option(
        None,
        "--idle-commit/--no-idle-commit",
        help="Commit as soon as the input runs dry (default), or wait the whole --commit-ms.",
    ),
    metrics_port: int = typer.Option(
        None, help="Serve Prometheus /metrics on this port (FLOWMETAL_METRICS_PORT)."
    ),
) -> None:
    """Run an interpreter process of the consumer group until SIGTERM."""
    from flowmetal.config import Settings
    from flowmetal.errors import ServiceError
    from flowmetal.interpreter import service

    service.setup_logging()
    try:
        settings = Settings.from_env()
        options = service.options_from_env(
            group,
            batch,
            commit_ms,
            session_timeout_ms,
            transaction_timeout_ms,
            instance_id,
            store,
            fuel,
            idle_commit,
            metrics_port,
            topic_prefix=settings.topic_prefix,
        )
    except ServiceError as exc:
        _fail(str(exc), 2)
    raise typer.Exit(service.run(settings, options))


@tasks_app.command("start")
def tasks_start(
    program: str = typer.Argument(..., help="Program name in the program store."),
    args: str = typer.Option("[]", "--args", help="Arguments as a JSON array."),
    task_id: str = typer.Option(None, "--id", help="Task id (idempotent start)."),
    wait: bool = typer.Option(False, "--wait", help="Wait for the result."),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait with --wait."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Start a task of PROGRAM's latest version.

    Prints the task id; with --wait, the result as one line of JSON (the task id goes
    to stderr), or with --json the task's final state (id, status, result or error)."""
    from flowmetal.errors import ServiceError
    from flowmetal.interpreter.client import WaitTimeout, new_task_id

    values = _json_arg(args, "--args")
    if not isinstance(values, list):
        _fail("--args must be a JSON array", 2)
    with _client() as client:
        try:
            if not wait:
                tid, version = client.start(program, values, task_id=task_id)
                if as_json:
                    typer.echo(json.dumps({"task_id": tid, "program": program, "version": version}))
                else:
                    typer.echo(tid)
                return
            tid = task_id or new_task_id()
            if not as_json:
                typer.echo(f"task {tid}", err=True)  # for `tasks show` and `history` later
            record = client.run(program, values, task_id=tid, timeout=timeout)
        except WaitTimeout:
            _fail(f"task {tid} did not end within {timeout:g}s", 2)
        except ServiceError as exc:
            _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(_state_dict(record)))
    elif record.status == "done":
        typer.echo(json.dumps(record.result_value))
    else:
        _print_error(record)
    if record.status != "done":
        raise typer.Exit(1)


@tasks_app.command("show")
def tasks_show(
    task_id: str = typer.Argument(...),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A task's status, what it waits for, and its result or error."""
    from flowmetal.config import STATE
    from flowmetal.errors import ServiceError

    with _client() as client:
        try:
            record = client.show(task_id)
        except ServiceError as exc:  # WaitTimeout included: the state topic did not answer
            _fail(str(exc))
        topic = client.settings.topic(STATE)
    if record is None:
        _fail(f"unknown task id {task_id!r}: {topic} holds no state for it")
    data = _state_dict(record)
    if as_json:
        typer.echo(json.dumps(data))
        return
    typer.echo(f"task     {record.task_id}")
    typer.echo(f"status   {record.status}")
    typer.echo(f"program  {record.program}@{record.version[:12]}")
    if record.waiting_for:
        typer.echo(f"waiting  {record.waiting_for}")
    for timer_id, deadline in record.timers:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(deadline / 1000))
        typer.echo(f"timer    {timer_id} due {when} UTC")
    if record.status == "done":
        typer.echo(f"result   {json.dumps(record.result_value)}")
    elif record.error_value:
        error = record.error_value
        typer.echo(f"error    {error.get('type')}: {error.get('message')}")
        if error.get("traceback"):
            typer.echo(error["traceback"].rstrip())


@tasks_app.command("history")
def tasks_history(
    task_id: str = typer.Argument(...),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A task's step-by-step history."""
    from flowmetal.config import HISTORY
    from flowmetal.errors import ServiceError

    with _client() as client:
        try:
            events = client.history(task_id)
        except ServiceError as exc:
            _fail(str(exc))
        topic = client.settings.topic(HISTORY)
    if not events:
        _fail(f"unknown task id {task_id!r}: {topic} holds no events for it")
    for event in events:
        if as_json:
            typer.echo(json.dumps(event))
            continue
        when = time.strftime("%H:%M:%S", time.gmtime(event["time"] / 1000))
        detail = event["detail"] or {}
        message = detail.get("message") or {}
        line = f"{event['seq']:>8}  {when}.{event['time'] % 1000:03d}  {event['kind']:<9}"
        line += f" {message.get('kind', '')}"
        if message.get("request_id"):
            line += f" {message['request_id']}"
        line += f" -> {detail.get('status', '')}"
        if detail.get("waiting_for"):
            line += f" ({detail['waiting_for']})"
        typer.echo(line)
        for out in detail.get("output") or []:
            typer.echo(f"          | {out}")


@tasks_app.command("send")
def tasks_send(task_id: str = typer.Argument(...), value: str = typer.Argument(...)) -> None:
    """Send a JSON value to a task (it arrives through flow.task.receive())."""
    payload = _json_arg(value, "the value")
    with _client() as client:
        client.send(task_id, payload)


@tasks_app.command("cancel")
def tasks_cancel(task_id: str = typer.Argument(...)) -> None:
    """Cancel a task."""
    with _client() as client:
        client.cancel(task_id)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the top-level app."""
    app.command("interpreter")(interpreter)
    app.add_typer(tasks_app, name="tasks")
