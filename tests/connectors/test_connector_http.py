"""The HTTP request connector against a local aiohttp server on 127.0.0.1 (no broker)."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpcore
import pytest
from aiohttp import web

from flowmetal.connectors.http_request import HttpRequestConnector
from flowmetal.connectors.policy import DestinationPolicy
from flowmetal.connectors.sdk import serve
from flowmetal.protocol import JSON, Request


class Server:
    """Routes that count their hits per path and answer as the tests need."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.keys: list[str | None] = []
        self.base = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/echo", self.echo)
        app.router.add_get("/flaky/{fails}", self.flaky)
        app.router.add_get("/status/{code}", self.status)
        app.router.add_get("/big/{size}", self.big)
        app.router.add_get("/slow", self.slow)
        app.middlewares.append(self.count)
        return app

    @web.middleware
    async def count(self, request: web.Request, handler: Callable[..., Awaitable[Any]]) -> Any:
        self.hits[request.path] += 1
        self.keys.append(request.headers.get("Idempotency-Key"))
        return await handler(request)

    async def echo(self, request: web.Request) -> web.Response:
        body = await request.text()
        return web.json_response(
            {
                "method": request.method,
                "query": dict(request.query),
                "body": body,
                "content_type": request.content_type,
                "key": request.headers.get("Idempotency-Key"),
                "x": request.headers.get("X-Test"),
            },
            headers={"X-Answer": "42"},
        )

    async def flaky(self, request: web.Request) -> web.Response:
        if self.hits[request.path] <= int(request.match_info["fails"]):
            return web.Response(status=503, text="busy")
        return web.Response(text="finally")

    async def status(self, request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="status")

    async def big(self, request: web.Request) -> web.StreamResponse:
        size = int(request.match_info["size"])
        response = web.StreamResponse()  # chunked: no content-length to refuse early
        await response.prepare(request)
        for _ in range(size // 1024):
            await response.write(b"x" * 1024)
        await response.write_eof()
        return response

    async def slow(self, request: web.Request) -> web.Response:
        await asyncio.sleep(4)
        return web.Response(text="late")


@asynccontextmanager
async def serving() -> AsyncIterator[Server]:
    server = Server()
    runner = web.AppRunner(server.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.base = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        await runner.cleanup()


def _request(payload: JSON, rid: str = "task-1.3", **fields: Any) -> Request:
    return Request(id=rid, task_id="task-1", kind="http", payload=payload, **fields)


async def _call(connector: HttpRequestConnector, payload: JSON, **fields: Any) -> JSON:
    connector.backoff_initial = 0.01
    try:
        return await serve(connector, _request(payload, **fields))
    finally:
        await connector.close()


def test_a_request_carries_its_id_as_idempotency_key_and_returns_status_headers_text() -> None:
    async def main() -> None:
        async with serving() as server:
            url = f"{server.base}/echo"
            payload = {
                "method": "post",
                "url": url,
                "json": {"a": 1},
                "params": {"q": "x"},
                "headers": {"X-Test": "yes"},
            }
            out = await _call(HttpRequestConnector(), payload)
            assert out["ok"] is True
            value = out["value"]
            assert value["status"] == 200 and value["headers"]["x-answer"] == "42"
            seen = json.loads(value["text"])
            assert seen == {
                "method": "POST",
                "query": {"q": "x"},
                "body": '{"a":1}',
                "content_type": "application/json",
                "key": "task-1.3",
                "x": "yes",
            }
            form = await _call(
                HttpRequestConnector(), {"method": "PUT", "url": url, "data": {"k": "v"}}
            )
            assert json.loads(form["value"]["text"])["body"] == "k=v"

    asyncio.run(main())


def test_5xx_is_retried_with_backoff_and_the_last_5xx_returned() -> None:
    async def main() -> None:
        async with serving() as server:
            out = await _call(
                HttpRequestConnector(), {"url": f"{server.base}/flaky/2", "retries": 3}
            )
            assert out["value"]["status"] == 200 and out["value"]["text"] == "finally"
            assert server.hits["/flaky/2"] == 3
            out = await _call(
                HttpRequestConnector(), {"url": f"{server.base}/status/502", "retries": 2}
            )
            assert out["ok"] is True and out["value"]["status"] == 502
            assert server.hits["/status/502"] == 3
            # Every attempt carries the same key, so the server can tell them apart from new calls.
            assert set(server.keys) == {"task-1.3"}

    asyncio.run(main())


def test_4xx_is_not_retried() -> None:
    async def main() -> None:
        async with serving() as server:
            out = await _call(
                HttpRequestConnector(), {"url": f"{server.base}/status/404", "retries": 5}
            )
            assert out == {
                "ok": True,
                "value": {"status": 404, "headers": out["value"]["headers"], "text": "status"},
            }
            assert server.hits["/status/404"] == 1

    asyncio.run(main())


def test_a_response_past_the_size_limit_is_an_error() -> None:
    async def main() -> None:
        async with serving() as server:
            small = HttpRequestConnector(max_response_bytes=64 * 1024)
            out = await _call(small, {"url": f"{server.base}/big/{1024 * 1024}"})
            assert out["ok"] is False
            assert out["error"]["type"] == "HTTPError"
            assert "response too large" in out["error"]["message"]
            fits = await _call(
                HttpRequestConnector(max_response_bytes=64 * 1024),
                {"url": f"{server.base}/big/{32 * 1024}"},
            )
            assert len(fits["value"]["text"]) == 32 * 1024

    asyncio.run(main())


def test_timeout_per_attempt_gives_a_timeout_error() -> None:
    async def main() -> None:
        async with serving() as server:
            started = time.monotonic()
            out = await _call(
                HttpRequestConnector(), {"url": f"{server.base}/slow", "timeout": 0.3, "retries": 1}
            )
            assert out["ok"] is False and out["error"]["type"] == "Timeout"
            assert time.monotonic() - started < 3.5  # two short attempts, not the 4 s answer
            assert server.hits["/slow"] == 2

    asyncio.run(main())


def test_connection_refused_is_retried_then_an_http_error() -> None:
    async def main() -> None:
        async with serving() as server:
            base = server.base
        out = await _call(HttpRequestConnector(), {"url": f"{base}/echo", "retries": 1})
        assert out["ok"] is False and out["error"]["type"] == "HTTPError"

    asyncio.run(main())


class CountingBackend(httpcore.AnyIOBackend):
    """Counts the TCP connections actually attempted."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        self.connects.append((host, port))
        return await super().connect_tcp(host, port, *args, **kwargs)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[fd00:ec2::254]/",
    ],
)
def test_metadata_destinations_are_denied_without_a_connection(url: str) -> None:
    backend = CountingBackend()
    out = asyncio.run(
        _call(
            HttpRequestConnector(DestinationPolicy.build(), backend=backend),
            {"url": url, "retries": 3},
        )
    )
    assert out["ok"] is False and out["error"]["type"] == "HTTPError"
    assert "denied by policy" in out["error"]["message"]
    assert backend.connects == []


def test_a_deny_list_covers_every_resolved_address_and_an_allow_list_limits() -> None:
    async def main() -> None:
        async with serving() as server:
            port = server.base.rsplit(":", 1)[1]
            backend = CountingBackend()
            # "localhost" resolves to loopback: denying the network denies the name.
            deny = HttpRequestConnector(
                DestinationPolicy.build(deny=["127.0.0.0/8", "::1"]), backend=backend
            )
            out = await _call(deny, {"url": f"http://localhost:{port}/echo"})
            assert "denied by policy" in out["error"]["message"]
            only = HttpRequestConnector(
                DestinationPolicy.build(allow=["example.org"]), backend=backend
            )
            out = await _call(only, {"url": f"{server.base}/echo"})
            assert "not on the allow list" in out["error"]["message"]
            assert backend.connects == [] and server.hits["/echo"] == 0
            allowed = HttpRequestConnector(
                DestinationPolicy.build(allow=["127.0.0.1/32"]), backend=backend
            )
            out = await _call(allowed, {"url": f"{server.base}/echo"})
            assert out["value"]["status"] == 200
            assert backend.connects == [("127.0.0.1", int(port))]

    asyncio.run(main())


def test_policy_from_env_reads_cidrs_hosts_and_domains() -> None:
    policy = DestinationPolicy.from_env(
        {"FLOWMETAL_HTTP_DENY": "10.0.0.0/8, .internal.example", "FLOWMETAL_HTTP_ALLOW": ""}
    )
    from flowmetal.connectors.policy import PolicyDenied

    with pytest.raises(PolicyDenied):
        policy.check_addresses("x", ["10.1.2.3"])
    with pytest.raises(PolicyDenied):
        policy.check_host("db.internal.example")
    with pytest.raises(PolicyDenied):
        policy.check_addresses("meta", ["169.254.169.254"])  # defaults stay
    policy.check_addresses("ok", ["127.0.0.1", "192.168.1.1"])
    no_loopback = DestinationPolicy.build(deny=["127.0.0.0/8", "::1"])
    for address in ("0.0.0.0", "::", "::ffff:127.0.0.1"):
        with pytest.raises(PolicyDenied):
            no_loopback.check_addresses("this-host", [address])
    bare = DestinationPolicy.from_env({"FLOWMETAL_HTTP_DENY_DEFAULTS": "false"})
    bare.check_addresses("meta", ["169.254.169.254"])
