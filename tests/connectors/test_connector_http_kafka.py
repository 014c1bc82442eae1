"""`flowmetal connector http` as a real process between the broker and a local HTTP server."""

from __future__ import annotations

import asyncio
import json
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from connector_helpers import produce_requests, read_responses, start_process

from flowmetal.protocol import Request

pytestmark = pytest.mark.kafka


@pytest.fixture
def http_server() -> Iterator[str]:
    """An aiohttp server on 127.0.0.1 in its own thread; yields its base URL."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state: dict[str, object] = {}

    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"key": request.headers.get("Idempotency-Key")})

    async def start() -> None:
        app = web.Application()
        app.router.add_get("/hello", hello)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        state["runner"] = runner
        state["port"] = runner.addresses[0][1]
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop)
    assert ready.wait(10)
    yield f"http://127.0.0.1:{state['port']}"
    runner = state["runner"]
    assert isinstance(runner, web.AppRunner)
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def test_http_connector_process_answers_through_kafka(
    kafka, processes, http_server: str, tmp_path: Path
) -> None:
    settings = kafka.settings("http")

    def req(n: int, url: str) -> Request:
        payload: dict[str, object] = {
            "method": "GET",
            "url": url,
            "headers": {},
            "json": None,
            "data": None,
            "params": None,
            "timeout": 5,
            "retries": 0,
        }
        return Request(id=f"web.{n}", task_id="web", kind="http", payload=payload)

    produce_requests(
        settings,
        [
            req(1, f"{http_server}/hello"),
            req(2, f"{http_server}/missing"),
            req(3, "http://169.254.169.254/latest/meta-data/"),
            Request(id="other.1", task_id="other", kind="echo", payload=1),
        ],
    )
    proc = start_process(settings, ["connector", "http"], tmp_path / "http.log")
    processes.append(proc)
    messages = {m.request_id: m.payload for m in read_responses(settings, 3, settle=1.0)}
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    assert set(messages) == {"web.1", "web.2", "web.3"}  # the echo request is not ours
    hello = messages["web.1"]["value"]
    assert hello["status"] == 200 and json.loads(hello["text"]) == {"key": "web.1"}
    assert messages["web.2"]["value"]["status"] == 404
    denied = messages["web.3"]
    assert denied["ok"] is False and denied["error"]["type"] == "HTTPError"
    assert "denied by policy" in denied["error"]["message"]
