"""The `flowmetal` command: one Typer app, with each group of commands in its own module.

    flowmetal run / check             cli/local.py      (no Kafka)
    flowmetal topics / programs / dlq cli/store.py      (Kafka admin, program store, dead letters)
    flowmetal interpreter / tasks     cli/service.py    (the interpreter service and its client)
    flowmetal connector ...           cli/connector.py  (connector processes)

The command modules import the service and connector packages inside their
commands, so that `flowmetal check` never loads Kafka clients.
"""

from __future__ import annotations

import typer

from flowmetal.cli import connector, local, service, store

app = typer.Typer(
    name="flowmetal",
    help="Durable Python-like programs whose state lives in Kafka.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

local.register(app)
store.register(app)
service.register(app)
connector.register(app)


def main() -> None:
    app()
