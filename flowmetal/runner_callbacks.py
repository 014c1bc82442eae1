"""The local runner's callback listener: the HTTP server connector's callback route, in-process.

A program's `callback.new()` asks its Host for a URL; the local runner's
Host mints `http://127.0.0.1:PORT/cb/<token>` with flowmetal/callbacks.py and
a secret made fresh for each run. This module serves those URLs with
aiohttp on 127.0.0.1:

    POST /cb/<token>   202  delivered: the task gets a `response` message whose
                            request_id is the callback id and whose value is
                            {"body": <JSON, or text when the body is not JSON>,
                             "headers": {...}}
                       409  this callback was delivered already (one delivery each)
                       404  the token is forged, or names no task of this run

Body and headers are shaped as the HTTP server connector shapes them, so a
program sees the same delivery locally and through Kafka.
"""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import Callable, Iterable

from aiohttp import web

from flowmetal import callbacks
from flowmetal.protocol import JSON

# deliver(task_id, callback_id, value) -> False when the task is unknown to this run
Deliver = Callable[[str, str, JSON], bool]


# Credentials a caller may send along are not the program's business (as in the
# HTTP server connector, so that a program sees the same delivery either way).
_PRIVATE_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


def parse_body(text: str, content_type: str = "") -> JSON:
    """A delivery's body as the task sees it: parsed JSON when it is JSON, else the text.

    As in the HTTP server connector: JSON is tried when the content type says
    JSON, or says nothing in particular."""
    if not text:
        return None
    if "json" in content_type or content_type in ("", "application/octet-stream"):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def delivery_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names lower-cased, repeats joined with ", ", credentials left out."""
    headers: dict[str, str] = {}
    for name, value in pairs:
        lower = str(name).lower()  # str(): aiohttp's names are multidict.istr
        if lower in _PRIVATE_HEADERS:
            continue
        headers[lower] = f"{headers[lower]}, {value}" if lower in headers else str(value)
    return headers


class CallbackListener:
    """Mints callback URLs and serves their one delivery each."""

    def __init__(self, deliver: Deliver, host: str = "127.0.0.1") -> None:
        self._deliver = deliver
        self._secret = secrets.token_urlsafe(32)
        self._delivered: set[tuple[str, str]] = set()
        self.minted: set[tuple[str, str]] = set()
        # Bind now, so that the port (and so every URL) is known before the
        # event loop serves anything: Host.callback_url is synchronous.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self.base_url = f"http://{host}:{self._sock.getsockname()[1]}"
        self._runner: web.AppRunner | None = None

    def url(self, task_id: str, callback_id: str) -> str:
        self.minted.add((task_id, callback_id))
        return callbacks.callback_url(self.base_url, self._secret, task_id, callback_id)

    def outstanding(self, live: Callable[[str], bool]) -> int:
        """How many minted callbacks of live tasks have not been delivered yet."""
        return sum(1 for key in self.minted - self._delivered if live(key[0]))

    async def start(self) -> None:
        app = web.Application(client_max_size=1024 * 1024)
        app.add_routes([web.post("/cb/{token}", self._handle)])
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, self._sock).start()

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._sock.close()

    async def _handle(self, request: web.Request) -> web.Response:
        found = callbacks.verify_token(self._secret, request.match_info["token"])
        if found is None:
            return web.json_response({"error": "no such callback"}, status=404)
        if found in self._delivered:
            return web.json_response({"error": "this callback was delivered already"}, status=409)
        text = await request.text()
        value = {
            "body": parse_body(text, request.content_type),
            "headers": delivery_headers(request.headers.items()),
        }
        # Claim the delivery before handing it on: a second POST racing this
        # one must see 409, never a second response message.
        self._delivered.add(found)
        if not self._deliver(found[0], found[1], value):
            return web.json_response({"error": "no such task"}, status=404)
        return web.json_response({"delivered": True}, status=202)
