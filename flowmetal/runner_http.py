"""The local runner's HTTP requests: one `http` Request performed with httpx.

The payload is what `flow.http.request` builds:

    {"method", "url", "headers", "json", "data", "params", "timeout", "retries"}

and the answer is the `response` payload the task receives:

    {"ok": true,  "value": {"status": int, "headers": {...}, "text": str}}
    {"ok": false, "error": {"type": "HTTPError", "message": "..."}}   (no response at all;
                                                    "Timeout" when the last try timed out)

As the Kafka HTTP connector does, the request id goes out as the
`Idempotency-Key` header, so a service can tell a retry from a new call.
Connection errors and 5xx answers are retried (`retries` times, with a
short exponential backoff); a 5xx that is still there after the last try is
handed to the program as a response (its `raise_for_status()` decides), a
transport error as an `HTTPError` failure. The same rules as the Kafka HTTP
request connector (connectors/http_request.py), without its destination
policy: a local run reaches what its user can reach.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from flowmetal.protocol import JSON, Request

DEFAULT_TIMEOUT = 30.0
MAX_RESPONSE_BYTES = 10 * 1024 * 1024  # as the Kafka HTTP connector's default
_BACKOFF_FIRST = 0.05
_BACKOFF_MAX = 2.0


def _failure(type_: str, message: str) -> JSON:
    return {"ok": False, "error": {"type": type_, "message": message}}


def _build(request: Request) -> tuple[dict[str, Any], float, int] | str:
    """The httpx.request keyword arguments, timeout and retries, or why the payload is bad."""
    payload = request.payload
    if not isinstance(payload, dict):
        return "an http request payload must be an object"
    method = payload.get("method")
    url = payload.get("url")
    if not isinstance(method, str) or not isinstance(url, str):
        return "an http request needs a string method and url"
    headers = {str(k): str(v) for k, v in (payload.get("headers") or {}).items()}
    # A caller's own key wins; otherwise the deterministic request id.
    if not any(k.lower() == "idempotency-key" for k in headers):
        headers["Idempotency-Key"] = request.id
    kwargs: dict[str, Any] = {"method": method.upper(), "url": url, "headers": headers}
    if payload.get("params") is not None:
        kwargs["params"] = payload["params"]
    if payload.get("json") is not None:
        kwargs["json"] = payload["json"]
    data = payload.get("data")
    if isinstance(data, str | bytes):
        kwargs["content"] = data
    elif data is not None:
        kwargs["data"] = data
    timeout = payload.get("timeout")
    if timeout is None:
        timeout = request.timeout if request.timeout is not None else DEFAULT_TIMEOUT
    retries = payload.get("retries")
    if retries is None:
        retries = request.retries
    return kwargs, float(timeout), max(int(retries or 0), 0)


class _TooLarge(Exception):
    """A response past MAX_RESPONSE_BYTES: refused, and not retried."""


async def _send_once(client: httpx.AsyncClient, kwargs: dict[str, Any], timeout: float) -> JSON:
    async with client.stream(**kwargs, timeout=timeout) as resp:
        body = bytearray()
        async for chunk in resp.aiter_bytes():
            body.extend(chunk)
            if len(body) > MAX_RESPONSE_BYTES:
                raise _TooLarge(f"response from {kwargs['url']} is over {MAX_RESPONSE_BYTES} bytes")
        text = bytes(body).decode(resp.encoding or "utf-8", errors="replace")
        return {
            "ok": True,
            "value": {"status": resp.status_code, "headers": dict(resp.headers), "text": text},
        }


async def perform_http(client: httpx.AsyncClient, request: Request) -> JSON:
    """Perform one `http` Request and return its `response` payload; never raises."""
    built = _build(request)
    if isinstance(built, str):
        return _failure("HTTPError", built)
    kwargs, timeout, retries = built
    delay = _BACKOFF_FIRST
    answer: JSON = None
    for attempt in range(retries + 1):
        try:
            answer = await _send_once(client, kwargs, timeout)
        except httpx.TimeoutException as exc:
            answer = _failure("Timeout", f"{kwargs['method']} {kwargs['url']} timed out: {exc}")
        except httpx.TransportError as exc:
            answer = _failure(
                "HTTPError",
                f"{kwargs['method']} {kwargs['url']} failed: {type(exc).__name__}: {exc}",
            )
        except _TooLarge as exc:
            return _failure("HTTPError", str(exc))
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError, TypeError) as exc:
            # A malformed request will not get better by retrying.
            return _failure("HTTPError", f"bad request to {kwargs['url']!r}: {exc}")
        retryable = not answer["ok"] or answer["value"]["status"] >= 500
        if not retryable or attempt == retries:
            break
        await asyncio.sleep(delay)
        delay = min(delay * 2, _BACKOFF_MAX)
    return answer
