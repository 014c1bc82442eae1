"""Custom connectors in the local runner: Python objects that serve one request kind each.

A connector is any object with an async `handle(request) -> JSON` (and,
usually, a `kind`). The command line names one as `KIND=module:attr`; when
`attr` is a class it is instantiated with no arguments, otherwise the object
is used as it is. The current directory is importable, so a project's own
`examples/echo.py` is `examples.echo:Echo`.

`call_connector` turns whatever happens into the `response` payload the task
receives: the value, or {"ok": false, "error": {"type", "message"}} with the
exception's class name, which the VM raises at the call site.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
from collections.abc import Iterable
from typing import Any

from flowmetal.errors import FlowmetalError
from flowmetal.protocol import JSON, Request


class ConnectorSpecError(FlowmetalError):
    """A `--connector KIND=module:attr` that cannot be loaded."""


def load_connector(spec: str) -> tuple[str, Any]:
    """Load `KIND=module:attr` (or `module:attr`, kind from the object) -> (kind, connector)."""
    kind, sep, target = spec.partition("=")
    if not sep:
        kind, target = "", spec
    module_name, colon, attr = target.partition(":")
    if not colon or not module_name or not attr:
        raise ConnectorSpecError(f"--connector {spec!r}: expected KIND=module:attr")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConnectorSpecError(
            f"--connector {spec!r}: cannot import {module_name}: {exc}"
        ) from exc
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise ConnectorSpecError(f"--connector {spec!r}: {module_name} has no {attr}") from exc
    if isinstance(obj, type):
        try:
            obj = obj()
        except Exception as exc:
            raise ConnectorSpecError(f"--connector {spec!r}: {attr}() failed: {exc}") from exc
    if not callable(getattr(obj, "handle", None)):
        raise ConnectorSpecError(f"--connector {spec!r}: {attr} has no handle(request) method")
    kind = kind or getattr(obj, "kind", "")
    if not isinstance(kind, str) or not kind:
        raise ConnectorSpecError(f"--connector {spec!r}: say which kind it serves (KIND=...)")
    return kind, obj


def _as_json(value: Any) -> JSON:
    """The value as plain JSON data (tuples become lists); TypeError/ValueError if it is not."""
    return json.loads(json.dumps(value, allow_nan=False))


async def call_connector(connector: Any, request: Request) -> JSON:
    """Serve one Request with `connector`; return the `response` payload, never raise.

    As in the connector SDK, the timeout is the request's or the connector's
    `default_timeout`, and an exception's `error_type` (the SDK's
    ConnectorError sets one) names the error the task sees. A local run makes
    one attempt: retries are the Kafka connector runtime's business."""
    timeout = request.timeout if request.timeout else getattr(connector, "default_timeout", None)
    try:
        async with asyncio.timeout(timeout):
            value = await connector.handle(request)
    except asyncio.CancelledError:
        raise
    except TimeoutError:
        message = (
            f"connector {request.kind!r} did not answer request {request.id} within {timeout} s"
        )
        return {"ok": False, "error": {"type": "Timeout", "message": message}}
    except Exception as exc:
        error_type = getattr(exc, "error_type", None) or type(exc).__name__
        error = {"type": str(error_type), "message": str(exc) or type(exc).__name__}
        return {"ok": False, "error": error}
    try:
        return {"ok": True, "value": _as_json(value)}
    except (TypeError, ValueError) as exc:
        message = f"connector {request.kind!r} answered with a value that is not JSON: {exc}"
        return {"ok": False, "error": {"type": "ConnectorError", "message": message}}


async def start_connectors(connectors: Iterable[Any]) -> None:
    """Call each connector's optional async `start()` (the SDK's lifecycle hook)."""
    for connector in connectors:
        start = getattr(connector, "start", None)
        if callable(start):
            await start()


async def close_connectors(connectors: Iterable[Any]) -> None:
    for connector in connectors:
        close = getattr(connector, "close", None)
        if callable(close):
            try:
                await close()
            except Exception:  # closing is best effort: the run's outcome stands
                pass


def no_connector(request: Request) -> JSON:
    message = f"no connector for kind {request.kind!r}"
    return {"ok": False, "error": {"type": "ConnectorError", "message": message}}
