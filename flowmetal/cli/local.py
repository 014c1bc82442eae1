"""`flowmetal run --local` and `flowmetal check`: programs without Kafka.

    flowmetal run --local FILE [--args JSON_ARRAY] [--kwargs JSON_OBJECT]
                  [--connector KIND=module:attr]... [--program NAME=FILE]...
    flowmetal check FILE...

`run` prints the result as one line of JSON on stdout and exits 0; lines
the program prints go to stderr, so stdout stays parseable. A program that
fails prints its Flowmetal traceback on stderr and exits 1; so does one that
does not compile (`file:line:col: message`, the line, a caret). A mistake on
the command line itself exits 2. Ctrl-C cancels the task (its `finally`
blocks run) and exits 130; a second Ctrl-C stops at once.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from flowmetal.protocol import TaskError

_RUN_HELP = "Run a program's main(*args, **kwargs) in this process, with real effects."
_KAFKA_HINT = (
    "flowmetal run only runs programs locally for now: add --local.\n"
    "To run a program through Kafka, push it with `flowmetal programs push` and start it"
    " with `flowmetal tasks start --wait`."
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the top-level app."""
    app.command("run", help=_RUN_HELP)(run)
    app.command("check", help="Parse and compile programs; print their errors.")(check)


def _fail_usage(message: str) -> None:
    typer.echo(f"flowmetal: {message}", err=True)
    raise typer.Exit(2)


def _json_arg(option: str, text: str, want: type) -> Any:
    try:
        value = json.loads(text)
    except ValueError as exc:
        _fail_usage(f"{option} is not JSON: {exc}")
    if not isinstance(value, want):
        _fail_usage(f"{option} must be a JSON {'array' if want is list else 'object'}")
    return value


def render_error(error: TaskError | None) -> str:
    """A failed task's error as a Flowmetal traceback, ending with `Type: message`."""
    if error is None:
        return "the task failed without an error"
    last = f"{error.type}: {error.message}" if error.message else error.type
    text = error.traceback.rstrip()
    if not text:
        return last
    return text if text.endswith(last) else f"{text}\n{last}"


def run(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The .flow program.")],
    local: Annotated[
        bool, typer.Option("--local", help="Run in this process, without Kafka.")
    ] = False,
    args_json: Annotated[
        str, typer.Option("--args", help="Positional arguments: a JSON array.")
    ] = "[]",
    kwargs_json: Annotated[
        str, typer.Option("--kwargs", help="Keyword arguments: a JSON object.")
    ] = "{}",
    connector: Annotated[
        list[str] | None,
        typer.Option("--connector", help="KIND=module:attr, a Python connector object or class."),
    ] = None,
    program: Annotated[
        list[str] | None,
        typer.Option(
            "--program", help="NAME=FILE, another program that spawn(NAME, ...) may start."
        ),
    ] = None,
    entry: Annotated[str, typer.Option("--entry", help="The function to run.")] = "main",
    fuel: Annotated[int | None, typer.Option("--fuel", help="Instructions per step.")] = None,
    task_id: Annotated[
        str | None,
        typer.Option(
            "--task-id",
            help="The root task's id (default: local-<random>); request ids and so"
            " Idempotency-Keys derive from it.",
        ),
    ] = None,
    snapshot_each_step: Annotated[
        bool,
        typer.Option("--snapshot-each-step", help="Store and restore every task after every step."),
    ] = False,
) -> None:
    if not local:
        typer.echo(_KAFKA_HINT, err=True)
        raise typer.Exit(2)
    from flowmetal.errors import FlowSyntaxError
    from flowmetal.runner import run_local
    from flowmetal.runner_connectors import ConnectorSpecError, load_connector

    args = _json_arg("--args", args_json, list)
    kwargs = _json_arg("--kwargs", kwargs_json, dict)
    programs: dict[str, str] = {}
    for spec in program or []:
        name, sep, path = spec.partition("=")
        if not sep or not name or not Path(path).is_file():
            _fail_usage(f"--program {spec!r}: expected NAME=FILE with an existing file")
        programs[name] = path
    connectors: dict[str, Any] = {}
    try:
        for spec in connector or []:
            kind, obj = load_connector(spec)
            connectors[kind] = obj
    except ConnectorSpecError as exc:
        _fail_usage(str(exc))
    limits = None
    if fuel is not None:
        from flowmetal.vm import Limits

        limits = Limits(fuel=fuel)
    source = file.read_text(encoding="utf-8")
    try:
        outcome = run_local(
            source,
            str(file),
            args,
            kwargs,
            connectors=connectors,
            limits=limits,
            entry=entry,
            programs=programs,
            snapshot_each_step=snapshot_each_step,
            task_id=task_id,
            cancel_on_sigint=True,
        )
    except FlowSyntaxError as exc:  # CompileError too
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.echo("flowmetal: interrupted", err=True)
        raise typer.Exit(130) from None
    if not outcome.ok:
        typer.echo(render_error(outcome.error), err=True)
        raise typer.Exit(130 if outcome.status == "cancelled" else 1)
    try:
        line = json.dumps(outcome.result, allow_nan=False)
    except (TypeError, ValueError) as exc:
        typer.echo(f"flowmetal: the result is not JSON: {exc}", err=True)
        raise typer.Exit(1) from None
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def check(
    files: Annotated[
        list[Path], typer.Argument(exists=True, dir_okay=False, help=".flow programs.")
    ],
) -> None:
    from flowmetal.compile import compile_program
    from flowmetal.errors import FlowSyntaxError

    failed = False
    for path in files:
        try:
            compile_program(path.read_text(encoding="utf-8"), str(path))
        except FlowSyntaxError as exc:
            typer.echo(str(exc))
            failed = True
    raise typer.Exit(1 if failed else 0)
