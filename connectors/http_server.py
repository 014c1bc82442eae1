"""The HTTP server connector: callback deliveries, the REST API, metrics and a web page.

    POST|PUT /cb/{token}   a callback delivery (signed URL, no other auth)
    /v1/...                the REST API, bearer token (connectors/api.py)
    GET /healthz           liveness of the read model and the Kafka writer
    GET /metrics           Prometheus text (connectors/metrics.py)
    GET /                  a page to browse tasks and their history (web.html)

Everything the server tells Kafka goes through one `KafkaWriter`: a thread
with a transactional producer that packs whatever requests are waiting into
one transaction, so a callback's `response` message and its "used" marker
land together or not at all. Reads come from the read model
(connectors/readmodel.py), never from an interpreter.

One delivery per callback URL. A token is verified with the shared HMAC
secret before anything else (a forged or altered token gets 404 and reaches
nothing). A delivery is refused with 409 when the callback is already used:

1. this process has the same callback in flight (checked and claimed on the
   event loop, so concurrent deliveries to one process cannot both pass);
2. the read model knows a marker for it: every accepted delivery produces,
   in the transaction of its `response`, a marker keyed
   "<task id>\\n<callback id>" to the compacted `callbacks` topic, which
   every server's read model consumes into RocksDB, so the rule survives
   restarts and holds across server processes (a server answers 503 to
   deliveries, and /healthz is 503, until its read model has caught up with
   the topics as they were when it started);
3. the read model's history shows a step that consumed a `response` to
   that callback id (however it got there), or its state says the task has
   ended and waits for nothing any more.

Limits: two server processes that receive the same token within the read
model's lag (usually milliseconds) can both answer 202 and both produce a
`response`. The task still sees one delivery: the VM takes the first answer
to a request and ignores later ones (and once the task has ended the
interpreter dead-letters them); only the second sender's status is wrong.
A marker is also kept for as long as the `callbacks` topic keeps it
(compacted: forever, unless the operator deletes it).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import queue
import re
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web

from flowmetal.callbacks import verify_token
from flowmetal.config import INBOX, Settings
from flowmetal.errors import ServiceError
from flowmetal.metrics import CONTENT_TYPE
from flowmetal.protocol import FINAL_STATUSES, Message
from flowmetal.wire import encode_message, headers_for_message, to_json_text

from .metrics import ServerMetrics
from .readmodel import CALLBACKS, ReadModel, ReadModelStore

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 1024 * 1024
# Request headers a callback delivery does not pass on to the task.
_PRIVATE_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


# -- writing to Kafka --------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """One record to produce."""

    topic: str
    key: bytes
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


class Writer(Protocol):
    """Produces a list of records atomically; raises when it could not."""

    async def write(self, records: list[Outgoing]) -> None: ...


class KafkaWriter:
    """A transactional producer in its own thread, batching concurrent writes.

    The transactional id is stable per server instance, so a restarted server
    aborts whatever transaction its killed predecessor left open instead of
    leaving read_committed consumers (the interpreters) waiting for a timeout.
    """

    def __init__(self, settings: Settings, transactional_id: str):
        self.settings = settings
        self.transactional_id = transactional_id
        self.error: str | None = None
        self._queue: queue.Queue[tuple[list[Outgoing], Callable[[BaseException | None], None]]]
        self._queue = queue.Queue()
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="flowmetal-writer", daemon=True)

    def start(self, timeout: float = 60.0) -> None:
        self._thread.start()
        if not self._ready.wait(timeout) or self.error:
            raise ServiceError(
                f"cannot start the Kafka writer ({self.settings.bootstrap}): "
                f"{self.error or 'timed out'}"
            )

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    async def write(self, records: list[Outgoing]) -> None:
        if self.error:
            raise RuntimeError(f"Kafka writer failed: {self.error}")
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def resolve(exc: BaseException | None) -> None:
            def settle() -> None:
                if done.done():
                    return
                if exc is None:
                    done.set_result(None)
                else:
                    done.set_exception(exc)

            loop.call_soon_threadsafe(settle)

        self._queue.put((records, resolve))
        await done

    def _producer(self) -> Any:
        from confluent_kafka import Producer

        from flowmetal.kafka import producer_config

        # A short transaction timeout: a transaction a killed server left open blocks
        # the interpreters' read_committed reads of that inbox partition until it expires.
        overrides = {"transaction.timeout.ms": 15000, "linger.ms": 1}
        return Producer(producer_config(self.settings, self.transactional_id, overrides))

    def _run(self) -> None:
        try:
            producer = self._producer()
            producer.init_transactions(30)
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            self._ready.set()
            return
        self._ready.set()
        while not self._stop.is_set():
            try:
                jobs = [self._queue.get(timeout=0.2)]
            except queue.Empty:
                continue
            while len(jobs) < 500:
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                failure = self._commit(producer, jobs)
            except Exception as exc:  # an abort that failed too: this producer is unusable
                self.error = f"{type(exc).__name__}: {exc}"
                self._stop.set()
                failure = exc
            for _, resolve in jobs:
                resolve(failure)
        # Nobody may wait forever on a writer that has stopped.
        stopped = RuntimeError(f"Kafka writer stopped: {self.error or 'shutting down'}")
        while True:
            try:
                self._queue.get_nowait()[1](stopped)
            except queue.Empty:
                break
        producer.flush(5)

    def _commit(self, producer: Any, jobs: list[Any]) -> BaseException | None:
        """Produce every job's records in one transaction; return None or the failure.

        A retriable error retries the same call; an abortable one aborts and produces
        the whole batch again (read_committed readers never see the aborted copy);
        a fatal one (or fencing) ends this writer."""
        from confluent_kafka import KafkaException

        def retrying(call: Callable[[], None]) -> None:
            for attempt in range(5):
                try:
                    call()
                    return
                except KafkaException as exc:
                    err = exc.args[0]
                    if not err.retriable() or err.txn_requires_abort() or attempt == 4:
                        raise
                    log.warning("retrying after %s", err)
                    time.sleep(0.1 * (attempt + 1))

        for attempt in range(3):
            try:
                retrying(producer.begin_transaction)
                for records, _ in jobs:
                    for r in records:
                        producer.produce(r.topic, key=r.key, value=r.value, headers=r.headers)
                retrying(lambda: producer.commit_transaction(30))
                return None
            except KafkaException as exc:
                err = exc.args[0]
                log.warning("transaction attempt %d failed: %s", attempt + 1, err)
                if not err.txn_requires_abort():
                    # Fatal, fenced, or retried in vain: this writer is done; /healthz
                    # says so and a supervisor restarts the process.
                    self.error = str(err)
                    self._stop.set()
                    return exc
                producer.abort_transaction(30)
            except BufferError:  # the local queue is full: let it drain, then try again
                producer.abort_transaction(30)
                producer.flush(5)
        return RuntimeError("Kafka transaction failed three times")


# -- the application ---------------------------------------------------------------------


@dataclass
class Server:
    """What the handlers share: settings, the writer, the read model and the metrics."""

    settings: Settings
    writer: Writer
    store: ReadModelStore
    readmodel: ReadModel | None = None
    max_body: int = DEFAULT_MAX_BODY
    callbacks_in_flight: set[tuple[str, str]] = field(default_factory=set)
    starts_in_flight: set[str] = field(default_factory=set)
    metrics: ServerMetrics = field(init=False)

    def __post_init__(self) -> None:
        self.metrics = ServerMetrics(
            lag=lambda: self.readmodel.lag if self.readmodel else 0,
            records=lambda: self.store.records_applied,
        )

    def inbox_record(self, message: Message) -> Outgoing:
        return Outgoing(
            self.settings.topic(INBOX),
            message.task_id.encode(),
            encode_message(message),
            headers_for_message(message),
        )

    async def send(self, *messages: Message) -> None:
        """Produce messages to their tasks' inboxes, in one transaction."""
        await self.writer.write([self.inbox_record(m) for m in messages])
        for m in messages:
            self.metrics.messages_produced.inc(kind=m.kind)


SERVER = web.AppKey("server", Server)


def json_error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": {"message": message, **extra}}, status=status)


@web.middleware
async def count_requests(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Count every request by route template and status, errors included."""
    server = request.app[SERVER]
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        server.metrics.requests.inc(route=route, status=str(status))


def _public(path: str) -> bool:
    # The page itself holds no data (it asks for the token); callbacks carry their own signature.
    return path in ("/", "/healthz", "/metrics") or path.startswith("/cb/")


@web.middleware
async def bearer_auth(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if not _public(request.path):
        expected = f"Bearer {request.app[SERVER].settings.api_token}"
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return web.json_response(
                {"error": {"message": "missing or wrong bearer token"}},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="flowmetal"'},
            )
    return await handler(request)


@web.middleware
async def size_limit(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Refuse a declared oversize body before reading it (aiohttp refuses the rest on read)."""
    limit = request.app[SERVER].max_body
    if request.content_length is not None and request.content_length > limit:
        if request.path.startswith("/cb/"):
            request.app[SERVER].metrics.callbacks_rejected.inc(reason="too_large")
        return json_error(413, f"request body is larger than {limit} bytes")
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        return json_error(413, f"request body is larger than {limit} bytes")


# -- callbacks ---------------------------------------------------------------------------


def _delivery_body(raw: bytes, content_type: str) -> Any:
    """The body a task sees: parsed JSON when it is JSON, else text."""
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type or not content_type or content_type == "application/octet-stream":
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def _delivery_headers(request: web.Request) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        lower = name.lower()
        if lower in _PRIVATE_HEADERS:
            continue
        headers[lower] = f"{headers[lower]}, {value}" if lower in headers else value
    return headers


async def deliver_callback(request: web.Request) -> web.Response:
    server = request.app[SERVER]
    found = verify_token(server.settings.callback_secret, request.match_info["token"])
    if found is None:
        server.metrics.callbacks_rejected.inc(reason="forged")
        return json_error(404, "no such callback")
    task_id, callback_id = found
    raw = await request.read()  # raises 413 past the app's client_max_size
    if server.readmodel is not None and not server.readmodel.caught_up.is_set():
        # Until the read model has caught up, a used callback could look unused.
        return web.json_response(
            {"error": {"message": "starting up, try again shortly"}},
            status=503,
            headers={"Retry-After": "1"},
        )
    claim = (task_id, callback_id)
    task = server.store.task(task_id)
    if (
        claim in server.callbacks_in_flight
        or server.store.callback_used(task_id, callback_id)
        or (task is not None and task["status"] in FINAL_STATUSES)
    ):
        server.metrics.callbacks_rejected.inc(reason="used")
        return json_error(409, "this callback has already been delivered")
    server.callbacks_in_flight.add(claim)
    try:
        message = Message(
            task_id=task_id,
            kind="response",
            id=f"{callback_id}:callback",
            request_id=callback_id,
            payload={
                "ok": True,
                "value": {
                    "body": _delivery_body(raw, request.content_type),
                    "headers": _delivery_headers(request),
                },
            },
        )
        marker = to_json_text({"message": message.id, "time": int(time.time() * 1000)}).encode()
        await server.writer.write(
            [
                server.inbox_record(message),
                Outgoing(
                    server.settings.topic(CALLBACKS), f"{task_id}\n{callback_id}".encode(), marker
                ),
            ]
        )
        server.store.mark_callback(task_id, callback_id, marker)
    finally:
        server.callbacks_in_flight.discard(claim)
    server.metrics.callbacks_delivered.inc()
    server.metrics.messages_produced.inc(kind="response")
    return web.json_response({"accepted": True}, status=202)


# -- health, metrics, the page -----------------------------------------------------------


async def healthz(request: web.Request) -> web.Response:
    server = request.app[SERVER]
    readmodel = server.readmodel
    problems = []
    if readmodel is not None and (readmodel.error or not readmodel.alive):
        problems.append(f"read model: {readmodel.error or 'not running'}")
    elif readmodel is not None and not readmodel.caught_up.is_set():
        problems.append("read model: catching up")
    writer_error = getattr(server.writer, "error", None)
    if writer_error:
        problems.append(f"kafka writer: {writer_error}")
    body = {
        "ok": not problems,
        "problems": problems,
        "readmodel_lag": readmodel.lag if readmodel else 0,
    }
    return web.json_response(body, status=503 if problems else 200)


async def metrics(request: web.Request) -> web.Response:
    text = request.app[SERVER].metrics.render()
    return web.Response(body=text.encode(), headers={"Content-Type": CONTENT_TYPE})


_PAGE = Path(__file__).with_name("web.html")


# The page talks only to this server, cannot be framed (its Cancel button must not be
# clickjacked) and renders task data with textContent only, never as HTML.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; "
    "style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


async def page(request: web.Request) -> web.Response:
    return web.Response(
        body=_PAGE.read_bytes(), content_type="text/html", charset="utf-8", headers=_PAGE_HEADERS
    )


async def _no_sniffing(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")


def build_app(server: Server) -> web.Application:
    """The aiohttp application over `server` (tests pass a fake writer and a temp store)."""
    from .api import add_api_routes

    app = web.Application(
        client_max_size=server.max_body, middlewares=[count_requests, size_limit, bearer_auth]
    )
    app[SERVER] = server
    app.on_response_prepare.append(_no_sniffing)
    app.router.add_post("/cb/{token}", deliver_callback)
    app.router.add_put("/cb/{token}", deliver_callback)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/", page)
    add_api_routes(app)
    return app


def new_id() -> str:
    return uuid.uuid4().hex


# -- running it --------------------------------------------------------------------------


def ensure_server_topics(settings: Settings) -> None:
    """The project's topics, plus the compacted `callbacks` topic only this server uses."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import NewTopic

    from flowmetal.kafka import admin, ensure_topics, partition_counts

    ensure_topics(settings)
    client = admin(settings)
    counts = partition_counts(client)
    name = settings.topic(CALLBACKS)
    if name in counts:
        return
    partitions = counts.get(settings.topic(INBOX), settings.partitions)
    spec = NewTopic(name, partitions, replication_factor=-1, config={"cleanup.policy": "compact"})
    for future in client.create_topics([spec]).values():
        try:
            future.result(30)
        except KafkaException as exc:  # created meanwhile by another server: fine
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise ServiceError(f"cannot create topic {name}: {exc}") from exc


def run(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8080,
    max_body: int = DEFAULT_MAX_BODY,
    instance: str | None = None,
) -> None:
    """Serve until interrupted: topics, read model, writer, then the web app."""
    # The instance names the RocksDB folder and the transactional id: stable across
    # restarts on one host, distinct between replicas (two writers sharing a
    # transactional id would fence each other forever).
    instance = re.sub(r"[^A-Za-z0-9_.-]+", "_", instance or f"{socket.gethostname()}-{port}")
    if settings.uses_dev_secret:
        log.warning("FLOWMETAL_CALLBACK_SECRET is the development default: set it in production")
    ensure_server_topics(settings)
    store = ReadModelStore(Path(settings.state_dir) / f"http-server-{instance}")
    readmodel = ReadModel(settings, store)
    writer = KafkaWriter(settings, f"{settings.topic_prefix}http-server-{instance}")
    writer.start()
    readmodel.start()
    server = Server(settings, writer, store, readmodel, max_body=max_body)
    log.info("serving on http://%s:%d (instance %s)", host, port, instance)
    try:
        web.run_app(build_app(server), host=host, port=port, print=None, access_log=None)
    finally:
        readmodel.stop()
        writer.stop()
        store.close()
