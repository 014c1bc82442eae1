"""The HTTP server connector's handlers, without Kafka: a memory writer and a temp read model.

What the handlers produce is checked record by record; what they read is put
into the read model's store the way its consumer would (`store.apply`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from flowmetal import wire
from flowmetal.callbacks import callback_url, make_token
from flowmetal.config import HISTORY, INBOX, PROGRAMS, STATE, Settings
from flowmetal.connectors.http_server import Outgoing, Server, build_app
from flowmetal.connectors.readmodel import CALLBACKS, ReadModelStore, Record

SETTINGS = Settings(callback_secret="test-secret", api_token="test-token", topic_prefix="t.")
AUTH = {"Authorization": "Bearer test-token"}


class MemoryWriter:
    """Records what the server would produce; `delay` holds each write back a little."""

    def __init__(self, delay: float = 0.0) -> None:
        self.records: list[Outgoing] = []
        self.delay = delay

    async def write(self, records: list[Outgoing]) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.records.extend(records)

    def messages(self) -> list[Any]:
        return [wire.decode_message(r.value) for r in self.records if r.topic == "t.inbox"]


Scenario = Callable[[TestClient, Server], Awaitable[None]]


def serve(tmp_path: Path, scenario: Scenario, server: Server | None = None, **kw: Any) -> Server:
    """Run `scenario` against a fresh app over a store in `tmp_path`."""
    if server is None:
        store = ReadModelStore(tmp_path / "rm")
        server = Server(SETTINGS, MemoryWriter(**kw), store)

    async def main() -> None:
        async with TestClient(TestServer(build_app(server))) as client:
            await scenario(client, server)

    asyncio.run(main())
    return server


def apply_state(
    store: ReadModelStore, task_id: str, status: str, offset: int = 0, **kw: Any
) -> None:
    record = wire.StateRecord(
        task_id=task_id,
        status=status,
        program="prog",
        version="v1",
        snapshot=b"",
        updated_ms=1000 + offset,
        **kw,
    )
    store.apply([Record(STATE, 0, offset, task_id.encode(), wire.encode_state(record))])


def cb_path(task_id: str, callback_id: str, secret: str = "test-secret") -> str:
    return "/cb/" + make_token(secret, task_id, callback_id)


# -- callbacks ---------------------------------------------------------------------------


def test_a_delivery_becomes_one_response_message_and_a_marker(tmp_path: Path) -> None:
    async def scenario(client: TestClient, server: Server) -> None:
        resp = await client.post(
            cb_path("task-1", "task-1.3"),
            json={"job_id": "j1", "status": "SUCCESS"},
            headers={"X-Job": "yes", "Authorization": "secret"},
        )
        assert resp.status == 202

    server = serve(tmp_path, scenario)
    writer = server.writer
    assert isinstance(writer, MemoryWriter)
    [message] = writer.messages()
    assert message.task_id == "task-1" and message.kind == "response"
    assert message.request_id == "task-1.3" and message.id == "task-1.3:callback"
    assert message.payload["ok"] is True
    assert message.payload["value"]["body"] == {"job_id": "j1", "status": "SUCCESS"}
    headers = message.payload["value"]["headers"]
    assert headers["x-job"] == "yes" and "authorization" not in headers
    inbox = [r for r in writer.records if r.topic == "t.inbox"]
    assert inbox[0].key == b"task-1" and wire.kind_of(inbox[0].headers) == "response"
    [marker] = [r for r in writer.records if r.topic == "t.callbacks"]
    assert marker.key == b"task-1\ntask-1.3"


def test_text_bodies_stay_text(tmp_path: Path) -> None:
    async def scenario(client: TestClient, server: Server) -> None:
        resp = await client.put(
            cb_path("t", "t.1"), data=b"done!", headers={"Content-Type": "text/plain"}
        )
        assert resp.status == 202

    server = serve(tmp_path, scenario)
    assert server.writer.messages()[0].payload["value"]["body"] == "done!"  # type: ignore[attr-defined]


def test_forged_and_altered_tokens_reach_nothing(tmp_path: Path) -> None:
    good = make_token("test-secret", "task-1", "task-1.1")
    altered = (
        make_token("test-secret", "task-2", "task-1.1").split(".")[0] + "." + good.split(".")[1]
    )

    async def scenario(client: TestClient, server: Server) -> None:
        for path in (
            cb_path("task-1", "task-1.1", secret="someone-else"),
            "/cb/" + altered,
            "/cb/" + good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
            "/cb/not-a-token",
        ):
            resp = await client.post(path, json={})
            assert resp.status == 404, path

    server = serve(tmp_path, scenario)
    assert server.writer.records == []  # type: ignore[attr-defined]
    assert server.metrics.callbacks_rejected.value(reason="forged") == 4


def test_a_replayed_delivery_gets_409_and_produces_nothing(tmp_path: Path) -> None:
    async def scenario(client: TestClient, server: Server) -> None:
        assert (await client.post(cb_path("t", "t.1"), json={"n": 1})).status == 202
        assert (await client.post(cb_path("t", "t.1"), json={"n": 2})).status == 409
        assert (await client.post(cb_path("t", "t.2"), json={"n": 3})).status == 202

    server = serve(tmp_path, scenario)
    bodies = [m.payload["value"]["body"] for m in server.writer.messages()]  # type: ignore[attr-defined]
    assert bodies == [{"n": 1}, {"n": 3}]


def test_concurrent_deliveries_of_one_url_produce_once(tmp_path: Path) -> None:
    statuses: list[int] = []

    async def scenario(client: TestClient, server: Server) -> None:
        async def deliver() -> int:
            return (await client.post(cb_path("t", "t.1"), json={})).status

        statuses.extend(await asyncio.gather(*(deliver() for _ in range(5))))

    server = serve(tmp_path, scenario, delay=0.05)
    assert sorted(statuses) == [202, 409, 409, 409, 409]
    assert len(server.writer.messages()) == 1  # type: ignore[attr-defined]


def test_used_callbacks_stay_used_after_a_restart(tmp_path: Path) -> None:
    async def first(client: TestClient, server: Server) -> None:
        assert (await client.post(cb_path("t", "t.1"), json={})).status == 202

    server = serve(tmp_path, first)
    server.store.close()

    async def second(client: TestClient, server: Server) -> None:
        assert (await client.post(cb_path("t", "t.1"), json={})).status == 409

    restarted = Server(SETTINGS, MemoryWriter(), ReadModelStore(tmp_path / "rm"))
    serve(tmp_path, second, server=restarted)
    assert restarted.writer.records == []  # type: ignore[attr-defined]


def test_a_marker_from_another_server_or_an_ended_task_makes_it_used(tmp_path: Path) -> None:
    store = ReadModelStore(tmp_path / "rm")
    store.apply([Record(CALLBACKS, 0, 0, b"t\nt.1", b"{}")])
    apply_state(store, "done-task", "done", result="1")

    async def scenario(client: TestClient, server: Server) -> None:
        assert (await client.post(cb_path("t", "t.1"), json={})).status == 409
        assert (await client.post(cb_path("done-task", "done-task.1"), json={})).status == 409
        assert (await client.post(cb_path("t", "t.2"), json={})).status == 202

    server = serve(tmp_path, scenario, server=Server(SETTINGS, MemoryWriter(), store))
    assert len(server.writer.messages()) == 1  # type: ignore[attr-defined]


def test_a_response_in_the_history_makes_the_callback_used(tmp_path: Path) -> None:
    store = ReadModelStore(tmp_path / "rm")
    detail = {"message": {"kind": "response", "id": "x", "request_id": "t.4"}}
    event = {"task_id": "t", "seq": 3, "kind": "step", "time": 1, "detail": detail}
    store.apply([Record(HISTORY, 0, 0, b"t", wire.encode_history(event))])

    async def scenario(client: TestClient, server: Server) -> None:
        assert (await client.post(cb_path("t", "t.4"), json={})).status == 409
        assert (await client.post(cb_path("t", "t.5"), json={})).status == 202

    server = serve(tmp_path, scenario, server=Server(SETTINGS, MemoryWriter(), store))
    assert [m.request_id for m in server.writer.messages()] == ["t.5"]  # type: ignore[attr-defined]


def test_oversized_bodies_get_413(tmp_path: Path) -> None:
    store = ReadModelStore(tmp_path / "rm")
    server = Server(SETTINGS, MemoryWriter(), store, max_body=1000)

    async def scenario(client: TestClient, server: Server) -> None:
        big = {"x": "y" * 2000}
        assert (await client.post(cb_path("t", "t.1"), json=big)).status == 413
        resp = await client.post("/v1/tasks", json={"program": "p", "args": [big]}, headers=AUTH)
        assert resp.status == 413

        async def chunks() -> Any:  # no Content-Length: the limit applies while reading
            for _ in range(10):
                yield b"y" * 500

        assert (await client.post(cb_path("t", "t.2"), data=chunks())).status == 413
        # Under the limit it is delivered.
        assert (await client.post(cb_path("t", "t.3"), json={"x": "small"})).status == 202

    serve(tmp_path, scenario, server=server)
    assert len(server.writer.messages()) == 1  # type: ignore[attr-defined]


# -- authentication, health, metrics, page ------------------------------------------------


def test_the_api_needs_the_bearer_token(tmp_path: Path) -> None:
    async def scenario(client: TestClient, server: Server) -> None:
        for path in ("/v1/tasks", "/v1/programs", "/v1/tasks/x", "/v1/openapi.json"):
            assert (await client.get(path)).status == 401
            wrong = {"Authorization": "Bearer nope"}
            assert (await client.get(path, headers=wrong)).status == 401
        resp = await client.post("/v1/tasks", json={"program": "p"})
        assert resp.status == 401
        assert (await client.get("/v1/tasks", headers=AUTH)).status == 200
        assert (await client.get("/healthz")).status == 200
        assert (await client.get("/metrics")).status == 200
        page = await client.get("/")
        assert page.status == 200 and "<html" in (await page.text()).lower()
        assert page.headers["X-Frame-Options"] == "DENY"
        assert "connect-src 'self'" in page.headers["Content-Security-Policy"]

    server = serve(tmp_path, scenario)
    assert server.writer.records == []  # type: ignore[attr-defined]


def test_metrics_count_requests_by_route_and_status(tmp_path: Path) -> None:
    async def scenario(client: TestClient, server: Server) -> None:
        await client.get("/v1/tasks/abc", headers=AUTH)
        await client.get("/v1/tasks/abc")
        await client.post(cb_path("t", "t.1"), json={})
        text = await (await client.get("/metrics")).text()
        assert 'flowmetal_http_requests_total{route="/v1/tasks/{id}",status="404"} 1' in text
        assert 'flowmetal_http_requests_total{route="/v1/tasks/{id}",status="401"} 1' in text
        assert "flowmetal_callbacks_delivered_total 1" in text
        assert "flowmetal_readmodel_lag_records 0" in text

    serve(tmp_path, scenario)


def test_the_openapi_document_lists_every_route(tmp_path: Path) -> None:
    async def scenario(client: TestClient, server: Server) -> None:
        doc = await (await client.get("/v1/openapi.json", headers=AUTH)).json()
        assert doc["openapi"].startswith("3.")
        served = {
            r.resource.canonical
            for r in client.app.router.routes()  # type: ignore[union-attr]
            if r.resource is not None
        }
        described = set(doc["paths"])
        assert served - {"/", "/v1/openapi.json"} <= described

    serve(tmp_path, scenario)


# -- the REST API --------------------------------------------------------------------------


def test_start_needs_a_pushed_program_and_is_idempotent_with_an_id(tmp_path: Path) -> None:
    async def scenario(client: TestClient, server: Server) -> None:
        resp = await client.post("/v1/tasks", json={"program": "greet"}, headers=AUTH)
        assert resp.status == 404
        server.store.put_program("greet", "v2", "greet.flow", 5)
        body = {"program": "greet", "args": [1], "kwargs": {"a": "b"}, "id": "my-task"}
        first = await client.post("/v1/tasks", json=body, headers=AUTH)
        assert first.status == 201
        assert (await first.json())["id"] == "my-task"
        again = await client.post("/v1/tasks", json=body, headers=AUTH)
        assert again.status == 200 and (await again.json())["id"] == "my-task"
        apply_state(server.store, "my-task", "waiting")
        third = await client.post("/v1/tasks", json=body, headers=AUTH)
        assert third.status == 200 and (await third.json())["status"] == "waiting"
        anonymous = await client.post("/v1/tasks", json={"program": "greet"}, headers=AUTH)
        assert anonymous.status == 201 and (await anonymous.json())["id"] != "my-task"
        bad = await client.post(
            "/v1/tasks", json={"program": "greet", "version": "v9"}, headers=AUTH
        )
        assert bad.status == 404
        bad = await client.post("/v1/tasks", json={"program": 3}, headers=AUTH)
        assert bad.status == 400 and "program" in (await bad.json())["error"]["message"]

    server = serve(tmp_path, scenario)
    starts = server.writer.messages()  # type: ignore[attr-defined]
    assert [m.kind for m in starts] == ["start", "start"]
    assert starts[0].id == "my-task:start"
    assert starts[0].payload == {
        "program": "greet",
        "version": "v2",
        "entry": "main",
        "args": [1],
        "kwargs": {"a": "b"},
        "parent": None,
        "parent_request": None,
    }


def test_wait_holds_the_answer_until_the_task_has_ended(tmp_path: Path) -> None:
    async def scenario(client: TestClient, server: Server) -> None:
        server.store.put_program("greet", "v1", "greet.flow", 5)

        async def finish_later() -> None:
            await asyncio.sleep(0.3)
            apply_state(server.store, "w-1", "waiting", offset=0)
            await asyncio.sleep(0.3)
            apply_state(server.store, "w-1", "done", offset=1, result=json.dumps("hi"))

        body = {"program": "greet", "id": "w-1"}
        finishing = asyncio.ensure_future(finish_later())
        began = time.monotonic()
        started = await client.post("/v1/tasks?wait=30", json=body, headers=AUTH)
        waited = time.monotonic() - began
        await finishing
        assert started.status == 201
        answer = await started.json()
        assert (answer["status"], answer["result"]) == ("done", "hi")
        assert 0.5 < waited < 20  # it waited for the end, and no longer than that
        # An ended task answers at once, waiting or not.
        again = await client.get("/v1/tasks/w-1?wait=30", headers=AUTH)
        assert (await again.json())["result"] == "hi"

        # A wait that runs out answers with the task as it is.
        apply_state(server.store, "w-2", "waiting", offset=2, waiting_for="w-2.1")
        began = time.monotonic()
        still = await client.get("/v1/tasks/w-2?wait=0.4", headers=AUTH)
        assert time.monotonic() - began >= 0.4
        assert (still.status, (await still.json())["status"]) == (200, "waiting")

        for bad in ("soon", "-1", "61"):
            refused = await client.get(f"/v1/tasks/w-2?wait={bad}", headers=AUTH)
            assert refused.status == 400, bad
            assert "'wait'" in (await refused.json())["error"]["message"]
        missing = await client.get("/v1/tasks/nobody?wait=1", headers=AUTH)
        assert missing.status == 404

    serve(tmp_path, scenario)


def test_status_history_and_listing_come_from_the_read_model(tmp_path: Path) -> None:
    async def scenario(client: TestClient, server: Server) -> None:
        assert (await client.get("/v1/tasks/t1", headers=AUTH)).status == 404
        assert (await client.get("/v1/tasks/t1/history", headers=AUTH)).status == 404
        apply_state(server.store, "t1", "waiting", offset=0, waiting_for="t1.1")
        apply_state(server.store, "t2", "done", offset=1, result=json.dumps({"x": 1}))
        events = [
            {"task_id": "t1", "seq": n, "kind": k, "time": n, "detail": {"n": n}}
            for n, k in ((1, "started"), (2, "request"), (3, "step"))
        ]
        server.store.apply(
            [Record(HISTORY, 0, i, b"t1", wire.encode_history(e)) for i, e in enumerate(events)]
        )
        t1 = await (await client.get("/v1/tasks/t1", headers=AUTH)).json()
        assert t1["status"] == "waiting" and t1["waiting_for"] == "t1.1"
        t2 = await (await client.get("/v1/tasks/t2", headers=AUTH)).json()
        assert t2["result"] == {"x": 1} and t2["has_result"] is True
        history = await (await client.get("/v1/tasks/t1/history", headers=AUTH)).json()
        assert [e["kind"] for e in history["events"]] == ["started", "request", "step"]
        later = await (await client.get("/v1/tasks/t1/history?after=2", headers=AUTH)).json()
        assert [e["seq"] for e in later["events"]] == [3]
        done = await (await client.get("/v1/tasks?status=done", headers=AUTH)).json()
        assert [t["id"] for t in done["tasks"]] == ["t2"]
        every = await (await client.get("/v1/tasks", headers=AUTH)).json()
        assert [t["id"] for t in every["tasks"]] == ["t2", "t1"]  # latest update first

    serve(tmp_path, scenario)


def test_send_and_cancel_produce_messages_to_live_tasks_only(tmp_path: Path) -> None:
    async def scenario(client: TestClient, server: Server) -> None:
        assert (
            await client.post("/v1/tasks/t1/messages", json={"value": 1}, headers=AUTH)
        ).status == 404
        apply_state(server.store, "t1", "waiting")
        apply_state(server.store, "old", "failed", offset=1)
        sent = await client.post(
            "/v1/tasks/t1/messages", json={"value": {"a": [1]}, "id": "m1"}, headers=AUTH
        )
        assert sent.status == 202
        assert (await client.post("/v1/tasks/t1/messages", json={}, headers=AUTH)).status == 400
        assert (
            await client.post("/v1/tasks/t1/cancel", json={"reason": "enough"}, headers=AUTH)
        ).status == 202
        assert (await client.post("/v1/tasks/old/cancel", headers=AUTH)).status == 409
        assert (
            await client.post("/v1/tasks/old/messages", json={"value": 1}, headers=AUTH)
        ).status == 409

    server = serve(tmp_path, scenario)
    message, cancel = server.writer.messages()  # type: ignore[attr-defined]
    assert message.kind == "message" and message.task_id == "t1" and message.id == "t1:message:m1"
    assert message.payload == {"from": None, "value": {"a": [1]}}
    assert cancel.kind == "cancel" and cancel.payload == {"reason": "enough"}


def test_push_returns_compile_errors_with_line_and_column(tmp_path: Path) -> None:
    pytest.importorskip("flowmetal.compile", reason="needs the compiler")

    async def scenario(client: TestClient, server: Server) -> None:
        bad = "def main():\n    x = (1 +\n    return x\n"
        resp = await client.post("/v1/programs", json={"name": "bad", "source": bad}, headers=AUTH)
        assert resp.status == 400
        error = (await resp.json())["error"]
        assert error["line"] >= 2 and error["column"] >= 1 and error["filename"] == "bad.flow"
        good = "def main(x):\n    return x + 1\n"
        resp = await client.post(
            "/v1/programs",
            json={"name": "good", "source": good, "filename": "g.flow"},
            headers=AUTH,
        )
        assert resp.status == 201
        pushed = await resp.json()
        assert pushed["name"] == "good" and len(pushed["version"]) == 64
        listing = await (await client.get("/v1/programs", headers=AUTH)).json()
        assert [p["name"] for p in listing["programs"]] == ["good"]
        assert listing["programs"][0]["latest"] == pushed["version"]

    server = serve(tmp_path, scenario)
    records = server.writer.records  # type: ignore[attr-defined]
    assert {r.topic for r in records} == {"t.programs"}
    version = wire.decode_program(records[0].value).version
    assert [r.key for r in records] == [f"good@{version}".encode(), b"good"]


# -- the read model's store ----------------------------------------------------------------


def test_the_store_keeps_offsets_and_forgets_purged_tasks(tmp_path: Path) -> None:
    store = ReadModelStore(tmp_path / "rm")
    apply_state(store, "t1", "done", offset=7, result="null")
    event = {"task_id": "t1", "seq": 1, "kind": "started", "time": 1, "detail": None}
    store.apply([Record(HISTORY, 2, 4, b"t1", wire.encode_history(event))])
    store.apply([Record(STATE, 1, 9, b"bad", b"not avro")])  # skipped, offset still moves
    t1 = store.task("t1")
    assert t1 is not None and t1["result"] is None and t1["has_result"] is True
    store.close()
    store = ReadModelStore(tmp_path / "rm")
    assert store.offsets(STATE) == {0: 8, 1: 10} and store.offsets(HISTORY) == {2: 5}
    assert store.records_skipped == 0  # a fresh process counts afresh
    store.apply([Record(STATE, 0, 8, b"t1", None)])
    assert store.task("t1") is None and store.history("t1") == []


def test_the_store_tracks_program_versions(tmp_path: Path) -> None:
    store = ReadModelStore(tmp_path / "rm")

    def push(offset: int, name: str, version: str, key: str) -> Record:
        value = wire.encode_program(name, version, "src", f"{name}.flow", pushed_ms=offset)
        return Record(PROGRAMS, 0, offset, key.encode(), value)

    store.apply([push(0, "p", "v1", "p@v1"), push(1, "p", "v1", "p")])
    store.apply([push(2, "p", "v2", "p@v2")])
    assert store.latest_version("p") == "v1"  # the bare-name record says which is latest
    store.apply([push(3, "p", "v2", "p")])
    assert store.latest_version("p") == "v2" and store.has_version("p", "v1")
    [entry] = store.programs()
    assert [v["version"] for v in entry["versions"]] == ["v1", "v2"]


def test_callback_urls_from_the_settings_point_at_this_server() -> None:
    # The interpreter mints with callback_url(base, secret, ...); the path is what we serve.
    settings = dataclasses.replace(SETTINGS, callback_base_url="http://127.0.0.1:9999/")
    url = callback_url(settings.callback_base_url, settings.callback_secret, "t", "t.1")
    assert url == "http://127.0.0.1:9999" + cb_path("t", "t.1")
    assert INBOX == "inbox"


def test_the_recency_index_follows_updates_within_and_across_batches(tmp_path: Path) -> None:
    store = ReadModelStore(tmp_path / "rm")

    def state(task_id: str, status: str, updated: int, offset: int) -> Record:
        record = wire.StateRecord(task_id, status, "p", "v", b"", updated_ms=updated)
        return Record(STATE, 0, offset, task_id.encode(), wire.encode_state(record))

    store.apply(
        [state("t1", "waiting", 10, 0), state("t2", "waiting", 20, 1), state("t1", "done", 30, 2)]
    )
    assert [t["id"] for t in store.tasks()] == ["t1", "t2"]
    assert [t["id"] for t in store.tasks(status="waiting")] == ["t2"]
    store.apply([state("t2", "failed", 40, 3)])
    assert [(t["id"], t["status"]) for t in store.tasks()] == [("t2", "failed"), ("t1", "done")]
    assert [t["id"] for t in store.tasks(limit=1)] == ["t2"]
    store.apply([Record(STATE, 0, 4, b"t2", None)])
    assert [t["id"] for t in store.tasks()] == ["t1"]
    assert store.tasks(status="waiting") == [] and store.tasks(status="failed") == []


def test_a_store_of_another_format_is_rebuilt(tmp_path: Path) -> None:
    from rocksdict import Options, Rdict

    store = ReadModelStore(tmp_path / "rm")
    apply_state(store, "t1", "done", offset=5)
    store.close()
    raw = Rdict(str(tmp_path / "rm"), options=Options(raw_mode=True))
    raw.put(b"format", b"0")
    raw.close()
    store = ReadModelStore(tmp_path / "rm")
    assert store.task("t1") is None and store.offsets(STATE) == {}  # read again from the start


class FakeReadModel:
    """What the server reads of a ReadModel: its health and whether it has caught up."""

    def __init__(self, caught_up: bool, error: str | None = None) -> None:
        import threading

        self.caught_up = threading.Event()
        if caught_up:
            self.caught_up.set()
        self.error = error
        self.alive = error is None
        self.lag = 7


def test_no_deliveries_until_the_read_model_has_caught_up(tmp_path: Path) -> None:
    store = ReadModelStore(tmp_path / "rm")
    readmodel = FakeReadModel(caught_up=False)
    server = Server(SETTINGS, MemoryWriter(), store, readmodel)  # type: ignore[arg-type]

    async def scenario(client: TestClient, server: Server) -> None:
        resp = await client.post(cb_path("t", "t.1"), json={})
        assert resp.status == 503 and resp.headers["Retry-After"] == "1"
        health = await client.get("/healthz")
        assert health.status == 503 and "catching up" in (await health.json())["problems"][0]
        readmodel.caught_up.set()
        assert (await client.post(cb_path("t", "t.1"), json={})).status == 202
        assert (await client.get("/healthz")).status == 200
        assert "flowmetal_readmodel_lag_records 7" in await (await client.get("/metrics")).text()

    serve(tmp_path, scenario, server=server)
    assert len(server.writer.messages()) == 1  # type: ignore[attr-defined]


def test_a_dead_read_model_makes_the_server_unhealthy(tmp_path: Path) -> None:
    readmodel = FakeReadModel(caught_up=True, error="KafkaException: boom")
    server = Server(SETTINGS, MemoryWriter(), ReadModelStore(tmp_path / "rm"), readmodel)  # type: ignore[arg-type]

    async def scenario(client: TestClient, server: Server) -> None:
        health = await client.get("/healthz")
        assert health.status == 503 and "boom" in (await health.json())["problems"][0]

    serve(tmp_path, scenario, server=server)
