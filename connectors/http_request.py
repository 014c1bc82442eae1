"""The HTTP request connector: serves kind "http" requests (flow.http.request) with httpx.

Request payload (JSON): {"method", "url", "headers", "json", "data", "params",
"timeout", "retries"}; the result is {"status": int, "headers": {name: value},
"text": str} for every HTTP status — the program decides what a 404 means,
with `raise_for_status()`.

- `Idempotency-Key: <request id>` goes with every attempt (unless the program
  set its own): the call is at-least-once (a connector crash re-runs it), so
  a server that honours the key sees it once.
- Retries (`retries`, else the request's): on connection errors, timeouts and
  5xx responses, with exponential backoff; never on 4xx. When every attempt
  got a 5xx the last 5xx response is the result; when every attempt failed
  to connect, an "HTTPError" (or "Timeout") error.
- `timeout` (seconds, per attempt; else the request's, else 30 s).
- The body is read up to `max_response_bytes` (10 MiB; after content
  decoding, so a gzip bomb is cut short too): past it, an "HTTPError"
  "response too large".
- Destinations are checked by `policy.DestinationPolicy` when each connection
  is opened, after resolution, and the connection goes to a checked address;
  a denied one is an "HTTPError" that says so, without any connection.
  Environment proxies are ignored (they would bypass the check).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from flowmetal.connectors.policy import DestinationPolicy, PolicyDenied
from flowmetal.connectors.sdk import Connector, ConnectorError, backoff_delay
from flowmetal.errors import ServiceError
from flowmetal.protocol import JSON, Request

log = logging.getLogger(__name__)

DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ResponseTooLarge(ConnectorError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"response too large: more than {limit} bytes", type="HTTPError")


class PolicyBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves, checks the policy, then connects to an address."""

    def __init__(
        self, policy: DestinationPolicy, inner: httpcore.AsyncNetworkBackend | None = None
    ):
        self.policy = policy
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.policy.check_host(host)
        addresses = await _resolve(host, port, timeout)
        self.policy.check_addresses(host, addresses)
        last: Exception | None = None
        for address in addresses:  # TLS still verifies `host`: httpcore passes it as SNI
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last or httpcore.ConnectError(f"{host} has no address")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise PolicyDenied(f"unix socket {path} is denied by policy")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


async def _resolve(host: str, port: int, timeout: float | None) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    seen: dict[str, None] = {}
    for info in infos:
        seen.setdefault(str(info[4][0]), None)
    return list(seen)


def _env_max_bytes() -> int:
    raw = os.environ.get("FLOWMETAL_HTTP_MAX_RESPONSE_BYTES")
    try:
        return int(raw) if raw else DEFAULT_MAX_RESPONSE_BYTES
    except ValueError:
        raise ServiceError(
            f"FLOWMETAL_HTTP_MAX_RESPONSE_BYTES must be a number, not {raw!r}"
        ) from None


class HttpRequestConnector(Connector):
    """kind "http": one HTTP exchange per request (see the module docstring)."""

    kind = "http"
    max_in_flight = 500
    retries_in_runtime = False  # 5xx are retried here, and the last one returned, not raised
    backoff_initial = 0.2
    backoff_max = 5.0

    def __init__(
        self,
        policy: DestinationPolicy | None = None,
        max_response_bytes: int | None = None,
        backend: httpcore.AsyncNetworkBackend | None = None,
        default_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.policy = policy or DestinationPolicy.from_env()
        self.max_response_bytes = max_response_bytes or _env_max_bytes()
        self.backend = PolicyBackend(self.policy, backend)
        self.default_timeout = default_timeout
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        if self._client is None:
            transport = httpx.AsyncHTTPTransport(trust_env=False, retries=0)
            pool = getattr(transport, "_pool", None)
            if pool is None or not hasattr(pool, "_network_backend"):
                # Never run without the policy: fail loudly if httpx's internals moved.
                raise ServiceError(
                    "this httpx version hides its connection pool: cannot enforce the HTTP policy"
                )
            pool._network_backend = self.backend
            self._client = httpx.AsyncClient(
                transport=transport, trust_env=False, follow_redirects=False
            )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _timeout(self, request: Request, payload: dict[str, Any]) -> float:
        for value in (payload.get("timeout"), request.timeout):
            if isinstance(value, int | float) and value > 0:
                return float(value)
        return self.default_timeout

    def _retries(self, request: Request, payload: dict[str, Any]) -> int:
        value = payload.get("retries")
        return max(0, int(value)) if isinstance(value, int) else max(0, request.retries)

    def overall_timeout(self, request: Request) -> float | None:
        payload = request.payload if isinstance(request.payload, dict) else {}
        retries = self._retries(request, payload)
        waits = sum(
            backoff_delay(a, self.backoff_initial, self.backoff_max) for a in range(1, retries + 1)
        )
        # Each attempt is bounded by httpx's own timeouts; this is only a safety net.
        return (retries + 1) * self._timeout(request, payload) * 2 + waits + 5.0

    async def handle(self, request: Request) -> JSON:
        await self.start()
        payload = request.payload
        if not isinstance(payload, dict):
            raise ConnectorError("an http request's payload must be an object", type="ValueError")
        method = str(payload.get("method") or "GET").upper()
        url = payload.get("url")
        if method not in METHODS or not isinstance(url, str):
            raise ConnectorError(
                f"bad http request: method {method!r}, url {url!r}", type="ValueError"
            )
        timeout = self._timeout(request, payload)
        retries = self._retries(request, payload)
        headers = {str(k): str(v) for k, v in (payload.get("headers") or {}).items()}
        if not any(k.lower() == "idempotency-key" for k in headers):
            headers["Idempotency-Key"] = request.id
        kwargs = _body(payload)
        for attempt in range(1, retries + 2):
            last = attempt == retries + 1
            try:
                result = await self._exchange(
                    method, url, headers, payload.get("params"), kwargs, timeout
                )
            except PolicyDenied as exc:
                raise ConnectorError(str(exc), type="HTTPError") from None
            except httpx.TimeoutException as exc:
                if last:
                    raise ConnectorError(
                        f"{method} {url} timed out after {timeout}s", type="Timeout"
                    ) from exc
                log.info("%s %s: timed out (attempt %d)", method, url, attempt)
            except httpx.InvalidURL as exc:
                raise ConnectorError(f"bad url {url!r}: {exc}", type="ValueError") from exc
            except (httpx.TransportError, httpx.UnsupportedProtocol) as exc:
                if last or isinstance(exc, httpx.UnsupportedProtocol):
                    raise ConnectorError(
                        f"{method} {url}: {type(exc).__name__}: {exc}", type="HTTPError"
                    ) from exc
                log.info("%s %s: %s (attempt %d)", method, url, exc, attempt)
            else:
                if result["status"] < 500 or last:
                    return result
                log.info("%s %s: status %d (attempt %d)", method, url, result["status"], attempt)
            await asyncio.sleep(backoff_delay(attempt, self.backoff_initial, self.backoff_max))
        raise AssertionError("unreachable")  # the last attempt returns or raises

    async def _exchange(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        params: Any,
        body: dict[str, Any],
        timeout: float,
    ) -> dict[str, Any]:
        assert self._client is not None
        limit = self.max_response_bytes
        async with self._client.stream(
            method, url, headers=headers, params=params, timeout=timeout, **body
        ) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise ResponseTooLarge(limit)
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > limit:
                    raise ResponseTooLarge(limit)
            return {
                "status": response.status_code,
                "headers": {k.lower(): v for k, v in response.headers.items()},
                "text": bytes(data).decode(response.encoding or "utf-8", errors="replace"),
            }


def _body(payload: dict[str, Any]) -> dict[str, Any]:
    """httpx keyword arguments for the request body: JSON, a form, or text."""
    if payload.get("json") is not None:
        return {"json": payload["json"]}
    data = payload.get("data")
    if isinstance(data, dict):
        return {"data": {str(k): str(v) for k, v in data.items()}}
    if isinstance(data, str):
        return {"content": data.encode()}
    if data is not None:
        raise ConnectorError("http data must be a string or an object", type="ValueError")
    return {}
