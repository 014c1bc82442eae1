"""`flowmetal connector ...`: run connector processes against Kafka.

    flowmetal connector run module:attr [-o key=value ...]   any connector (SDK)
    flowmetal connector http                                  the HTTP request connector
    flowmetal connector http-server                           the HTTP server connector (its own section below)

Each command runs until SIGTERM/SIGINT, then finishes its in-flight requests,
commits and exits 0; a fatal Kafka error exits 1. Settings come from the
FLOWMETAL_* environment (flowmetal/config.py).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
from typing import Annotated, Any

import typer

connector_app = typer.Typer(
    name="connector",
    help="Run connector processes: they serve requests from the outbox topic.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the top-level app."""
    app.add_typer(connector_app, name="connector")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _parse_option(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise typer.BadParameter(f"{text!r}: expected key=value")
    try:
        value: Any = json.loads(raw)  # numbers, booleans, lists; plain text otherwise
    except ValueError:
        value = raw
    return key.replace("-", "_"), value


def load_connector(spec: str, options: dict[str, Any]) -> Any:
    """`module:attr` → a connector: a class is instantiated with `options`, an object used as is."""
    module_name, colon, attr = spec.partition(":")
    if not colon or not module_name or not attr:
        raise typer.BadParameter(f"{spec!r}: expected module:attr")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # a project's own connectors, like the local runner
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise typer.BadParameter(f"{spec!r}: {exc}") from exc
    if isinstance(obj, type):
        obj = obj(**options)
    elif options:
        raise typer.BadParameter(f"{spec!r} is an object, not a class: -o options need a class")
    if not callable(getattr(obj, "handle", None)) or not getattr(obj, "kind", None):
        raise typer.BadParameter(f"{spec!r} needs a `kind` and an async handle(request)")
    return obj


def _run(
    connector: Any,
    group_id: str | None,
    transactional_id: str | None,
    max_in_flight: int | None,
    commit_interval: float,
) -> None:
    from flowmetal.config import Settings
    from flowmetal.connectors.runtime import run_connector
    from flowmetal.errors import ServiceError

    try:
        run_connector(
            connector,
            Settings.from_env(),
            group_id,
            transactional_id=transactional_id,
            max_in_flight=max_in_flight,
            commit_interval=commit_interval,
        )
    except ServiceError as exc:
        typer.echo(f"flowmetal connector: {exc}", err=True)
        raise typer.Exit(1) from exc


GROUP_HELP = "Consumer group id (default: <prefix>connector.<kind>)."
TXN_HELP = "Transactional id; give each replica a stable one (e.g. its pod name) to recover fast after a crash."


@connector_app.command("run")
def run(
    target: str = typer.Argument(..., help="module:attr naming a connector class or object."),
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="key=value passed to the class (repeatable)."),
    ] = None,
    group_id: str | None = typer.Option(None, "--group-id", help=GROUP_HELP),
    transactional_id: str | None = typer.Option(None, "--transactional-id", help=TXN_HELP),
    max_in_flight: int | None = typer.Option(
        None, "--max-in-flight", help="Requests served at once."
    ),
    commit_interval: float = typer.Option(
        0.05, "--commit-interval", help="Seconds between transactions."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Run a connector written with the SDK (an object with `kind` and async `handle`)."""
    _setup_logging(verbose)
    options = dict(_parse_option(text) for text in option or [])
    _run(
        load_connector(target, options), group_id, transactional_id, max_in_flight, commit_interval
    )


@connector_app.command("http")
def http(
    deny: str | None = typer.Option(
        None,
        "--deny",
        help="Extra denied CIDRs/host names, comma-separated (adds to FLOWMETAL_HTTP_DENY).",
    ),
    allow: str | None = typer.Option(
        None,
        "--allow",
        help="Allowed CIDRs/host names, comma-separated; when set, nothing else is (adds to FLOWMETAL_HTTP_ALLOW).",
    ),
    max_response_bytes: int | None = typer.Option(
        None,
        "--max-response-bytes",
        help="Largest response body (default 10 MiB, or FLOWMETAL_HTTP_MAX_RESPONSE_BYTES).",
    ),
    group_id: str | None = typer.Option(None, "--group-id", help=GROUP_HELP),
    transactional_id: str | None = typer.Option(None, "--transactional-id", help=TXN_HELP),
    max_in_flight: int | None = typer.Option(
        None, "--max-in-flight", help="Requests served at once."
    ),
    commit_interval: float = typer.Option(
        0.05, "--commit-interval", help="Seconds between transactions."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Run the HTTP request connector (kind "http", flow.http.request)."""
    from flowmetal.connectors.http_request import HttpRequestConnector
    from flowmetal.connectors.policy import DestinationPolicy

    _setup_logging(verbose)
    policy = DestinationPolicy.from_env(extra_deny=deny, extra_allow=allow)
    connector = HttpRequestConnector(policy=policy, max_response_bytes=max_response_bytes)
    _run(connector, group_id, transactional_id, max_in_flight, commit_interval)


# -- flowmetal connector http-server ---------------------------------------------------------
# The HTTP server connector's command (maintained with connectors/http_server.py).


@connector_app.command("http-server")
def http_server(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8080, "--port", help="Port to listen on."),
    max_body: int = typer.Option(
        1024 * 1024, "--max-body", help="Largest request body in bytes (413 past it)."
    ),
    instance: str | None = typer.Option(
        None,
        "--instance",
        help="Stable name of this server (default: <hostname>-<port>): names its read-model "
        "folder and transactional id. Give each replica its own.",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Run the HTTP server connector: callbacks, the REST API, /metrics and a web page."""
    from flowmetal.config import Settings
    from flowmetal.connectors.http_server import run as serve
    from flowmetal.errors import ServiceError

    _setup_logging(verbose)
    try:
        serve(Settings.from_env(), host=host, port=port, max_body=max_body, instance=instance)
    except ServiceError as exc:
        typer.echo(f"flowmetal connector http-server: {exc}", err=True)
        raise typer.Exit(1) from exc
