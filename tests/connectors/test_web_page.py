"""The HTTP server's web page, rendered by headless Chromium against a live server.

The server runs on a free local port over a read model filled by hand (no
Kafka); Chromium loads `/#token=...&task=...` (the page reads both from the
fragment), runs the page's script, which calls the API, and dumps the DOM it
ends with. What a user would see is checked in that DOM: the task list, the
selected task's result or error, and its history. One test drives the page
through the DevTools protocol instead, typing a value and pressing Send and
Cancel, and checks the messages the server produced.

`.ci/run` installs Debian's chromium when it is missing. Elsewhere the test is
skipped without it, except under CI, where a missing browser is a failure.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from test_http_server_app import SETTINGS, MemoryWriter, apply_state

from flowmetal import wire
from flowmetal.config import HISTORY
from flowmetal.connectors.http_server import Server, build_app
from flowmetal.connectors.readmodel import ReadModelStore, Record

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# The flags this machine's closed network needs (no background connections, no sync).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> str:
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, Server]]:
    """The app on a free local port, served from a thread with its own event loop."""
    server = Server(SETTINGS, MemoryWriter(), ReadModelStore(tmp_path / "rm"))
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(build_app(server))
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()


def render(browser: str, url: str, tmp_path: Path) -> str:
    """The DOM after the page's script ran (its fetches included) for a few virtual seconds."""
    done = subprocess.run(
        [
            browser,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--virtual-time-budget=4000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class Texts(HTMLParser):
    """The text of each element with an id, and the rows of each table body, as cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, str] = {}
        self.rows: dict[str, list[list[str]]] = {}
        self._open: list[str | None] = []  # ids of the open elements (None: no id)
        self._body: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        ident = dict(attrs).get("id")
        self._open.append(ident)
        if ident is not None:
            self.by_id[ident] = ""
        if tag == "tbody":
            self._body = ident
            self.rows[ident or ""] = []
        elif tag == "tr" and self._body is not None:
            self.rows[self._body].append([])
        elif tag == "td" and self._body is not None and self.rows[self._body]:
            self.rows[self._body][-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()
        if tag == "tbody":
            self._body = None

    def handle_data(self, data: str) -> None:
        for ident in self._open:
            if ident is not None:
                self.by_id[ident] += data
        if self._body is not None and self.rows[self._body] and self.rows[self._body][-1]:
            self.rows[self._body][-1][-1] += data


def parse(dom: str) -> Texts:
    texts = Texts()
    texts.feed(dom)
    return texts


def test_the_page_lists_tasks_and_shows_a_result_and_its_history(
    browser: str, live_server: tuple[str, Server], tmp_path: Path
) -> None:
    base, server = live_server
    apply_state(server.store, "t-wait", "waiting", offset=0, waiting_for="t-wait.1")
    apply_state(server.store, "t-done", "done", offset=1, result=json.dumps({"total": 285}))
    events = [
        {"task_id": "t-done", "seq": 1, "kind": "started", "time": 1000, "detail": {}},
        {
            "task_id": "t-done",
            "seq": 2,
            "kind": "step",
            "time": 2000,
            "detail": {"status": "done", "output": ["hello from the task"]},
        },
    ]
    server.store.apply(
        [Record(HISTORY, 0, i, b"t-done", wire.encode_history(e)) for i, e in enumerate(events)]
    )

    page = parse(render(browser, f"{base}/#token=test-token&task=t-done", tmp_path))

    assert page.by_id["error"] == ""
    listed = {row[0]: row[2] for row in page.rows["tasks"]}
    assert listed == {"t-wait": "waiting", "t-done": "done"}
    assert page.by_id["title"] == "Task t-done"
    detail = page.by_id["detail"]
    assert "status" in detail and "done" in detail
    assert json.loads(detail[detail.index("{") : detail.rindex("}") + 1]) == {"total": 285}
    history = page.rows["history"]
    assert [row[0] for row in history] == ["1", "2"]
    assert [row[2] for row in history] == ["started", "step"]
    assert "printed: hello from the task" in history[1][3]


def test_the_page_shows_a_failed_task_with_its_traceback(
    browser: str, live_server: tuple[str, Server], tmp_path: Path
) -> None:
    base, server = live_server
    error = {
        "type": "ZeroDivisionError",
        "message": "division by zero",
        "traceback": 'File "job.flow", line 3, in main',
    }
    apply_state(server.store, "t-bad", "failed", offset=0, error=json.dumps(error))

    page = parse(render(browser, f"{base}/#token=test-token&task=t-bad", tmp_path))

    assert page.by_id["title"] == "Task t-bad"
    assert "ZeroDivisionError: division by zero" in page.by_id["detail"]
    assert 'File "job.flow", line 3, in main' in page.by_id["detail"]


def test_a_wrong_token_shows_the_api_error_and_no_tasks(
    browser: str, live_server: tuple[str, Server], tmp_path: Path
) -> None:
    base, server = live_server
    apply_state(server.store, "t-secret", "done", offset=0, result="1")

    page = parse(render(browser, f"{base}/#token=not-the-token", tmp_path))

    assert page.by_id["error"] == "missing or wrong bearer token"
    assert "t-secret" not in page.by_id["tasks"]


class DevTools:
    """Just enough of the Chrome DevTools protocol to run JavaScript in a page."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.next_id = 0

    async def evaluate(self, expression: str) -> object:
        self.next_id += 1
        request = {
            "id": self.next_id,
            "method": "Runtime.evaluate",
            "params": {"expression": expression, "returnByValue": True, "awaitPromise": True},
        }
        await self.ws.send_json(request)
        while True:
            answer = await self.ws.receive_json(timeout=30)
            if answer.get("id") == self.next_id:
                result = answer["result"]
                assert "exceptionDetails" not in result, result
                return result["result"].get("value")

    async def until(self, expression: str, timeout: float = 30.0) -> object:
        deadline = time.monotonic() + timeout
        guarded = f"(() => {{ try {{ return {expression}; }} catch (e) {{ return false; }} }})()"
        while True:  # false, or an error (the page may still be loading), means not yet
            value = await self.evaluate(guarded)
            if value:
                return value
            assert time.monotonic() < deadline, f"never true in the page: {expression}"
            await asyncio.sleep(0.1)


async def _drive(browser: str, url: str, profile: Path, scenario: Any) -> None:
    proc = await asyncio.create_subprocess_exec(
        browser,
        *FLAGS,
        f"--user-data-dir={profile}",
        "--remote-debugging-port=0",
        url,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        endpoint = None
        while endpoint is None:
            line = await asyncio.wait_for(proc.stderr.readline(), 60)
            assert line, "chromium ended before it listened"
            found = re.search(rb"DevTools listening on ws://([^/]+)/", line)
            endpoint = found.group(1).decode() if found else None
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://{endpoint}/json/list") as resp:
                pages = [t for t in await resp.json() if t["type"] == "page"]
            async with session.ws_connect(pages[0]["webSocketDebuggerUrl"]) as ws:
                await scenario(DevTools(ws))
    finally:
        proc.terminate()
        await proc.wait()


def test_send_and_cancel_buttons_produce_messages_to_the_task(
    browser: str, live_server: tuple[str, Server], tmp_path: Path
) -> None:
    base, server = live_server
    apply_state(server.store, "t-live", "waiting", offset=0, waiting_for="t-live.1")
    writer = server.writer
    assert isinstance(writer, MemoryWriter)

    async def scenario(page: DevTools) -> None:
        await page.until("document.getElementById('title').textContent === 'Task t-live'")
        await page.until("!document.getElementById('actions').hidden")
        # A value that is not JSON: the page says so and sends nothing.
        await page.evaluate(
            "document.getElementById('value').value = '{not json';"
            "document.getElementById('send').click()"
        )
        await page.until("document.getElementById('error').textContent !== ''")
        assert writer.messages() == []
        await page.evaluate(
            "document.getElementById('value').value = '{\"go\": [1, 2]}';"
            "document.getElementById('send').click()"
        )
        await page.until("document.getElementById('error').textContent === ''")
        await page.evaluate("document.getElementById('cancel').click()")
        deadline = time.monotonic() + 30
        while len(writer.messages()) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)

    asyncio.run(_drive(browser, f"{base}/#token=test-token&task=t-live", tmp_path, scenario))
    sent, cancel = writer.messages()
    assert (sent.kind, sent.task_id, sent.payload["value"]) == ("message", "t-live", {"go": [1, 2]})
    assert (cancel.kind, cancel.task_id) == ("cancel", "t-live")
