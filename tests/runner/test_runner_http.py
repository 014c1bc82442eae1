"""HTTP requests and callback URLs in the local runner, driven by fake tasks."""

from __future__ import annotations

import asyncio
import io
import socket
from typing import Any

import httpx
from fakevm import FakeProgram, FakeTask, value_of

from flowmetal.protocol import Request
from flowmetal.runner import LocalRunner, RunOutcome
from flowmetal.runner_callbacks import delivery_headers, parse_body


def run(main: Any, transport: httpx.AsyncBaseTransport | None = None) -> RunOutcome:
    runner = LocalRunner(
        FakeProgram({"main": main}),
        task_factory=FakeTask,
        out=io.StringIO(),
        http_transport=transport,
    )
    return asyncio.run(runner.run("main", [], {}))


def http(t: FakeTask, method: str, url: str, **extra: Any) -> Request:
    payload: dict[str, Any] = {
        "method": method,
        "url": url,
        "headers": {},
        "json": None,
        "data": None,
    }
    payload.update(extra)
    return Request(t.rid(), t.id, "http", payload)


def one_request(request_of: Any) -> Any:
    """A fake main that makes one request and returns the whole response payload."""

    def main(t):  # type: ignore[no-untyped-def]
        msg = yield [request_of(t)]
        return msg.payload

    return main


def test_request_shape_and_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"made": True}, headers={"X-Thing": "1"})

    main = one_request(
        lambda t: http(t, "post", "http://svc/api", json={"a": 1}, params={"q": "x"})
    )
    outcome = run(main, httpx.MockTransport(handler))
    value = outcome.result["value"]
    assert outcome.result["ok"] is True
    assert value["status"] == 201
    assert value["headers"]["x-thing"] == "1"
    assert value["text"] == '{"made":true}'
    (sent,) = seen
    assert sent.method == "POST"
    assert str(sent.url) == "http://svc/api?q=x"
    assert sent.headers["Idempotency-Key"] == "local.1"
    assert sent.content == b'{"a":1}'


def test_retries_5xx_with_the_same_key_then_succeeds() -> None:
    keys: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["Idempotency-Key"])
        return httpx.Response(503 if len(keys) < 3 else 200, text="ok")

    outcome = run(
        one_request(lambda t: http(t, "GET", "http://svc/", retries=2)),
        httpx.MockTransport(handler),
    )
    assert outcome.result["value"]["status"] == 200
    assert keys == ["local.1"] * 3


def test_a_5xx_that_stays_is_handed_to_the_program() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(500, text="down")

    outcome = run(
        one_request(lambda t: http(t, "GET", "http://svc/", retries=1)),
        httpx.MockTransport(handler),
    )
    assert outcome.result["ok"] is True
    assert (outcome.result["value"]["status"], outcome.result["value"]["text"]) == (500, "down")
    assert len(calls) == 2


def test_connection_errors_are_retried_then_reported_as_http_error() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ConnectError("refused", request=request)

    outcome = run(
        one_request(lambda t: http(t, "GET", "http://svc/", retries=2)),
        httpx.MockTransport(handler),
    )
    assert outcome.result["ok"] is False
    assert outcome.result["error"]["type"] == "HTTPError"
    assert "ConnectError" in outcome.result["error"]["message"]
    assert len(calls) == 3


def test_real_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the request: nobody listens
    outcome = run(one_request(lambda t: http(t, "GET", f"http://127.0.0.1:{port}/")))
    assert outcome.result["ok"] is False
    assert outcome.result["error"]["type"] == "HTTPError"


def test_callback_delivered_once_and_forgeries_refused() -> None:
    def main(t):  # type: ignore[no-untyped-def]
        cb_id = t.rid()
        url = t.host.callback_url(t.id, cb_id)
        forged = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
        posts = [
            http(t, "POST", url, json={"job": 1}, headers={"X-From": "svc", "Cookie": "s=1"}),
            http(t, "POST", forged, json={"job": 2}),
        ]
        answers: dict[str, Any] = {}
        msg = yield posts
        while True:
            answers[msg.request_id] = msg
            if len(answers) == 3:
                break
            msg = yield []
        again = http(t, "POST", url, data="late")
        msg = yield [again]
        return {
            "url": url,
            "first": value_of(answers[posts[0].id])["status"],
            "forged": value_of(answers[posts[1].id])["status"],
            "second": value_of(msg)["status"],
            "delivery": value_of(answers[cb_id]),
        }

    result = run(main).result
    assert result["url"].startswith("http://127.0.0.1:")
    assert "/cb/" in result["url"]
    assert (result["first"], result["forged"], result["second"]) == (202, 404, 409)
    assert result["delivery"]["body"] == {"job": 1}
    assert result["delivery"]["headers"]["x-from"] == "svc"
    assert "cookie" not in result["delivery"]["headers"]


def test_callback_bodies_that_are_not_json_stay_text() -> None:
    assert parse_body('{"a": [1]}', "application/json") == {"a": [1]}
    assert parse_body('{"a": [1]}') == {"a": [1]}
    assert parse_body("[1]", "text/plain") == "[1]"
    assert parse_body("done, thanks") == "done, thanks"
    assert parse_body("") is None


def test_callback_headers_are_lower_cased_and_joined() -> None:
    pairs = [("X-A", "1"), ("x-a", "2"), ("Authorization", "Bearer t"), ("Host", "h")]
    assert delivery_headers(pairs) == {"x-a": "1, 2", "host": "h"}


def test_a_timeout_is_reported_as_timeout() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    main = one_request(lambda t: http(t, "GET", "http://svc/", timeout=0.5))
    outcome = run(main, httpx.MockTransport(handler))
    assert outcome.result["ok"] is False
    assert outcome.result["error"]["type"] == "Timeout"
