"""The connector SDK: what a connector is, how it fails, and how one request is served.

A connector is any object with a `kind` (the request kind it serves, e.g.
"echo" or "http") and an `async handle(request)` that returns the result
value (a JSON value) or raises. Subclassing `Connector` is optional; it adds
per-connector defaults the runtime reads with `getattr`:

    class Greeter(Connector):
        kind = "greet"
        default_timeout = 5.0

        async def handle(self, request):
            return {"hello": request.payload["name"]}

How a failure reaches the task (as a `response` {"ok": false, "error": ...}):

    Exception                   any other exception: type = its class name
    └── ConnectorError          a permanent failure: not retried
        │                       type = the `type=` given, else the class name
        └── RetryableError      a transient failure: retried with backoff
                                while `request.retries` attempts remain
    (a timeout of one attempt is retried like a RetryableError; when the last
     attempt times out the error type is "Timeout")

`serve` below applies that policy to one request and returns the `response`
payload; the runtime (connectors/runtime.py) only moves records.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol, runtime_checkable

from flowmetal.protocol import JSON, Request
from flowmetal.wire import WireError, to_json_text

log = logging.getLogger(__name__)


class ConnectorError(Exception):
    """A permanent failure: the task gets an error of `type` (default: the class name)."""

    def __init__(self, message: str, *, type: str | None = None) -> None:
        super().__init__(message)
        self.error_type = type or self.__class__.__name__


class RetryableError(ConnectorError):
    """A transient failure (connection refused, 503, ...): worth another attempt."""


@runtime_checkable
class ConnectorLike(Protocol):
    """The whole contract: a kind and an async handler."""

    kind: str

    async def handle(self, request: Request) -> JSON: ...


class Connector:
    """Base class with the defaults the runtime honours; override what you need.

    - `max_in_flight`: requests this process runs at once (backpressure beyond).
    - `default_timeout`: seconds per attempt when the request names none (None: no limit).
    - `default_retries`: attempts after the first when the request asks for none.
    - `backoff_initial`, `backoff_max`: exponential backoff between attempts, in seconds.
    - `retries_in_runtime`: False when `handle` runs its own retry loop (the HTTP
      connector does: it must return the last 5xx response, not an error), so the
      runtime makes exactly one attempt, bounded by `overall_timeout(request)`.
    """

    kind: str = ""
    max_in_flight: int = 1000
    default_timeout: float | None = 60.0
    default_retries: int = 0
    backoff_initial: float = 0.1
    backoff_max: float = 5.0
    retries_in_runtime: bool = True

    async def handle(self, request: Request) -> JSON:
        raise NotImplementedError

    async def start(self) -> None:
        """Called once in the runtime's event loop before the first request."""

    async def close(self) -> None:
        """Called once after the last request (SIGTERM or shutdown)."""

    def overall_timeout(self, request: Request) -> float | None:
        """With `retries_in_runtime` False: the cap on the whole `handle` call."""
        return None


def _setting(connector: Any, name: str, default: Any) -> Any:
    return getattr(connector, name, default)


def backoff_delay(attempt: int, initial: float, maximum: float) -> float:
    """Seconds to wait before attempt `attempt + 1` (attempt counts from 1)."""
    return float(min(maximum, initial * (2 ** (attempt - 1))))


def ok(value: JSON) -> JSON:
    return {"ok": True, "value": value}


def error(error_type: str, message: str) -> JSON:
    return {"ok": False, "error": {"type": error_type, "message": message}}


def error_of(exc: BaseException) -> JSON:
    """The `response` payload for an exception raised by a connector."""
    error_type = getattr(exc, "error_type", None) or type(exc).__name__
    return error(str(error_type), str(exc) or type(exc).__name__)


async def serve(connector: Any, request: Request) -> JSON:
    """Run `connector.handle(request)` under its timeout and retry policy.

    Returns the `response` payload; never raises (except on cancellation), so
    that a connector's bug becomes the task's error, not the runtime's crash.
    """
    if not _setting(connector, "retries_in_runtime", True):
        overall = (
            connector.overall_timeout(request) if hasattr(connector, "overall_timeout") else None
        )
        return await _attempt_once(connector, request, overall)

    timeout = (
        request.timeout
        if request.timeout is not None
        else _setting(connector, "default_timeout", None)
    )
    retries = request.retries if request.retries else _setting(connector, "default_retries", 0)
    initial = _setting(connector, "backoff_initial", 0.1)
    maximum = _setting(connector, "backoff_max", 5.0)
    attempts = 1 + max(0, int(retries))
    result: JSON = None
    for attempt in range(1, attempts + 1):
        result, retryable = await _attempt(connector, request, timeout)
        if not retryable or attempt == attempts:
            break
        delay = backoff_delay(attempt, initial, maximum)
        log.info(
            "request %s attempt %d failed (%s); retrying in %.2fs",
            request.id,
            attempt,
            result["error"]["type"],
            delay,
        )
        await asyncio.sleep(delay)
    return result


async def _attempt(connector: Any, request: Request, timeout: float | None) -> tuple[JSON, bool]:
    """One attempt: (response payload, whether another attempt may help)."""
    try:
        async with asyncio.timeout(timeout):
            value = await connector.handle(request)
    except TimeoutError:
        return error(
            "Timeout", f"{request.kind} request {request.id} timed out after {timeout}s"
        ), True
    except asyncio.CancelledError:
        raise
    except RetryableError as exc:
        return error_of(exc), True
    except Exception as exc:  # the connector's failure is the task's error
        if not isinstance(exc, ConnectorError):
            log.warning(
                "connector %s raised on request %s", request.kind, request.id, exc_info=True
            )
        return error_of(exc), False
    try:
        to_json_text(value)
    except WireError as exc:
        return error(
            "ConnectorError", f"{request.kind} connector returned a non-JSON result: {exc}"
        ), False
    return ok(value), False


async def _attempt_once(connector: Any, request: Request, overall: float | None) -> JSON:
    result, _ = await _attempt(connector, request, overall)
    return result
