"""CLI commands for topics and the program store (see flowmetal/cli/__init__.py).

    flowmetal topics ensure              create the deployment's topics; print them
    flowmetal programs push FILE [--name NAME]   compile, store; print name@version
    flowmetal programs list              every program, its latest version and count
    flowmetal dlq list [--json]          the dead letters: why, and where each came from

All read FLOWMETAL_* settings from the environment (flowmetal/config.py).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

topics_app = typer.Typer(help="Kafka topics of a Flowmetal deployment.", no_args_is_help=True)
programs_app = typer.Typer(help="The program store (the `programs` topic).", no_args_is_help=True)
dlq_app = typer.Typer(
    help="The dead-letter topic: records no process could use.", no_args_is_help=True
)


def _fail(message: str) -> None:
    print(message, file=sys.stderr)
    raise typer.Exit(1)


@topics_app.command("ensure")
def topics_ensure(
    partitions: Annotated[
        int | None,
        typer.Option(
            help="Partitions of inbox/outbox/state/history (default FLOWMETAL_PARTITIONS)."
        ),
    ] = None,
) -> None:
    """Create the topics that do not exist yet (idempotent) and print all of them."""
    import dataclasses

    from flowmetal.config import Settings
    from flowmetal.errors import ServiceError
    from flowmetal.kafka import ensure_topics

    settings = Settings.from_env()
    if partitions is not None:
        settings = dataclasses.replace(settings, partitions=partitions)
    try:
        names = ensure_topics(settings)
    except ServiceError as exc:
        _fail(f"error: {exc}")
    for name in names:
        print(name)


@programs_app.command("push")
def programs_push(
    file: Annotated[Path, typer.Argument(help="The .flow source file.")],
    name: Annotated[
        str | None, typer.Option("--name", help="Program name (default: the file's stem).")
    ] = None,
) -> None:
    """Compile FILE and store it as a new version; print name@version."""
    from flowmetal.config import Settings
    from flowmetal.errors import FlowSyntaxError, ServiceError
    from flowmetal.programs import push

    try:
        source = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"error: cannot read {file}: {exc}")
    try:
        stored_name, version = push(Settings.from_env(), source, str(file), name)
    except FlowSyntaxError as exc:  # CompileError included: file:line:col, the line, a caret
        _fail(exc.render())
    except ServiceError as exc:
        _fail(f"error: {exc}")
    print(f"{stored_name}@{version}")


@programs_app.command("list")
def programs_list() -> None:
    """Every program in the store: name, latest version, number of versions."""
    from flowmetal.config import Settings
    from flowmetal.errors import ServiceError
    from flowmetal.programs import list_programs

    try:
        infos = list_programs(Settings.from_env())
    except ServiceError as exc:
        _fail(f"error: {exc}")
    for info in infos:
        count = len(info.versions)
        print(f"{info.name}@{info.latest}  ({count} version{'s' if count != 1 else ''})")


@dlq_app.command("list")
def dlq_list(
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per letter, the value in base64.")
    ] = False,
) -> None:
    """Every dead letter: when, why, and the topic, partition and offset it came from."""
    import base64
    import json
    import time

    from flowmetal import wire
    from flowmetal.config import DLQ, Settings
    from flowmetal.errors import ServiceError
    from flowmetal.kafka import read_topic

    settings = Settings.from_env()
    try:
        for msg in read_topic(settings, settings.topic(DLQ)):
            try:
                letter = wire.decode_dead_letter(msg.value() or b"")
            except wire.WireError as exc:
                print(f"offset {msg.offset()}: not a dead letter: {exc}", file=sys.stderr)
                continue
            key = (letter.original_key or b"").decode("utf-8", "replace")
            if as_json:
                value = base64.b64encode(letter.original_value or b"").decode()
                origin = {"topic": letter.topic, "partition": letter.partition}
                record = {
                    "offset": msg.offset(),
                    "time_ms": letter.time,
                    "error": letter.error,
                    **origin,
                    "origin_offset": letter.offset,
                    "key": key,
                    "value_base64": value,
                }
                print(json.dumps(record))
            else:
                when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(letter.time / 1000))
                origin_text = f"{letter.topic}[{letter.partition}]@{letter.offset}"
                print(f"{when}  {origin_text}  key {key!r}: {letter.error}")
    except ServiceError as exc:
        _fail(f"error: {exc}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the top-level app."""
    app.add_typer(topics_app, name="topics")
    app.add_typer(programs_app, name="programs")
    app.add_typer(dlq_app, name="dlq")
