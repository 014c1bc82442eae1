"""The REST API of the HTTP server connector, under /v1 (bearer token, see http_server.py).

    POST /v1/programs               {"name", "source", "filename"?} -> {"name", "version"}
    GET  /v1/programs               every program with its versions
    POST /v1/tasks?wait=S           {"program", "version"?, "entry"?, "args"?, "kwargs"?, "id"?}
    GET  /v1/tasks?status=&limit=   tasks, most recently updated first
    GET  /v1/tasks/{id}?wait=S      status, waiting_for, result, error
    GET  /v1/tasks/{id}/history     history events (?after=seq&limit=)
    POST /v1/tasks/{id}/messages    {"value", "id"?} -> a `message` to the task
    POST /v1/tasks/{id}/cancel      {"reason"?} -> a `cancel` to the task
    GET  /v1/openapi.json           the OpenAPI 3 description of all this

Writes become Kafka records (through the server's transactional writer);
reads come from the read model. A push compiles the program first, so a
program with a syntax or compile error never reaches the program store; the
error comes back as 400 with its line and column.

`wait=S` (seconds, at most MAX_WAIT) holds the answer until the task has
ended or S seconds have passed, whichever comes first: start-and-await in
one call. The answer is the task as the read model then has it; a status
that is not final means the wait ran out. Waiting polls the read model.

A start with a client-chosen id is idempotent: when the read model (or this
process, before the read model catches up) knows the id, the answer is the
existing task with 200 and nothing is produced. The interpreter also drops
a second `start` for a task it already has, which covers two servers racing.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from typing import Any

from aiohttp import web

from flowmetal.config import PROGRAMS
from flowmetal.errors import FlowmetalError, FlowSyntaxError
from flowmetal.programs import NAME_RE, default_name, version_key
from flowmetal.protocol import FINAL_STATUSES, Message
from flowmetal.wire import encode_program

from .http_server import SERVER, Outgoing, Server, json_error
from .openapi import OPENAPI

_TASK_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:\-]{0,199}$")


class BadRequest(Exception):
    """A request body that does not have the documented shape."""


async def _json_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _field(body: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any) -> Any:
    value = body.get(name, default)
    if value is default:
        return value
    if not isinstance(value, kind):
        raise BadRequest(f"{name!r} has the wrong type")
    return value


def _handler(fn: Any) -> Any:
    """Turn BadRequest into a 400 with the same error shape as everything else."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await fn(request)
        except BadRequest as exc:
            return json_error(400, str(exc))

    wrapped.__name__ = fn.__name__
    return wrapped


# -- programs ----------------------------------------------------------------------------


@_handler
async def push_program(request: web.Request) -> web.Response:
    server = request.app[SERVER]
    body = await _json_body(request)
    name = _field(body, "name", str, None)
    source = _field(body, "source", str, None)
    filename = _field(body, "filename", str, None)
    if source is None or (name is None and filename is None):
        raise BadRequest("'source' and a 'name' (or a 'filename' to name it after) are required")
    name = name or default_name(filename)
    if not NAME_RE.match(name):
        raise BadRequest(
            "a program name holds letters, digits, '_', '.' and '-', from a letter or '_'"
        )
    filename = filename or f"{name}.flow"
    from flowmetal.compile import compile_program

    loop = asyncio.get_running_loop()
    try:  # compiling is CPU work: keep the event loop answering meanwhile
        program = await loop.run_in_executor(None, compile_program, source, filename)
    except FlowSyntaxError as exc:
        return json_error(
            400,
            exc.message,
            line=exc.line,
            column=exc.column,
            filename=exc.filename,
            rendered=exc.render(),
        )
    except FlowmetalError as exc:
        return json_error(400, str(exc), filename=filename)
    except RecursionError:
        return json_error(400, "the program nests too deeply to compile", filename=filename)
    version = program.version
    pushed = int(time.time() * 1000)
    value = encode_program(name, version, source, filename, pushed)
    topic = server.settings.topic(PROGRAMS)
    # Keyed name@version (kept forever by compaction) then name (the latest), in one
    # transaction, as flowmetal.programs.push writes them.
    await server.writer.write(
        [
            Outgoing(topic, version_key(name, version).encode(), value),
            Outgoing(topic, name.encode(), value),
        ]
    )
    server.store.put_program(name, version, filename, pushed)
    server.metrics.messages_produced.inc(kind="program")
    return web.json_response({"name": name, "version": version}, status=201)


async def list_programs(request: web.Request) -> web.Response:
    return web.json_response({"programs": request.app[SERVER].store.programs()})


# -- tasks -------------------------------------------------------------------------------


MAX_WAIT = 60.0  # seconds; longer waits belong in a loop on the client's side


def _wait_seconds(request: web.Request) -> float:
    raw = request.query.get("wait")
    if raw is None:
        return 0.0
    try:
        seconds = float(raw)
    except ValueError:
        raise BadRequest("'wait' must be a number of seconds") from None
    if not 0 <= seconds <= MAX_WAIT:
        raise BadRequest(f"'wait' must be between 0 and {MAX_WAIT:g} seconds")
    return seconds


async def _until_ended(server: Server, task_id: str, seconds: float) -> dict[str, Any] | None:
    """The task's summary once it has ended, or as it is when `seconds` have passed."""
    deadline = time.monotonic() + seconds
    pause = 0.01
    while True:
        found = _summary(server, task_id)
        left = deadline - time.monotonic()
        if (found is not None and found.get("status") in FINAL_STATUSES) or left <= 0:
            return found
        await asyncio.sleep(min(pause, left))
        pause = min(pause * 2, 0.2)


def _summary(server: Server, task_id: str) -> dict[str, Any] | None:
    """The read model's view of a task, or a "starting" stub for one this process started."""
    found = server.store.task(task_id)
    if found is not None:
        return found
    return server.store.started(task_id)


@_handler
async def start_task(request: web.Request) -> web.Response:
    server = request.app[SERVER]
    wait = _wait_seconds(request)
    body = await _json_body(request)
    program = _field(body, "program", str, None)
    if program is None:
        raise BadRequest("'program' is required")
    version = _field(body, "version", str, None)
    entry = _field(body, "entry", str, "main")
    args = _field(body, "args", list, [])
    kwargs = _field(body, "kwargs", dict, {})
    task_id = _field(body, "id", str, None)
    if task_id is not None and not _TASK_ID.match(task_id):
        raise BadRequest("'id' may hold letters, digits, '_', '.', ':' and '-' (200 at most)")
    if task_id is not None:
        existing = _summary(server, task_id)
        if existing is not None or task_id in server.starts_in_flight:
            if wait:
                existing = await _until_ended(server, task_id, wait)
            return web.json_response(existing or {"id": task_id, "status": "starting"})
    if version is None:
        version = server.store.latest_version(program)
        if version is None:
            return json_error(404, f"no program named {program!r} has been pushed")
    elif not server.store.has_version(program, version):
        return json_error(404, f"program {program!r} has no version {version!r}")
    task_id = task_id or uuid.uuid4().hex
    start = Message(
        task_id=task_id,
        kind="start",
        id=f"{task_id}:start",
        payload={
            "program": program,
            "version": version,
            "entry": entry,
            "args": args,
            "kwargs": kwargs,
            "parent": None,
            "parent_request": None,
        },
    )
    stub = {"id": task_id, "status": "starting", "program": program, "version": version}
    server.starts_in_flight.add(task_id)
    try:
        await server.send(start)
        server.store.mark_started(task_id, stub)
    finally:
        server.starts_in_flight.discard(task_id)
    if wait:
        stub = await _until_ended(server, task_id, wait) or stub
    return web.json_response(stub, status=201)


@_handler
async def get_task(request: web.Request) -> web.Response:
    server = request.app[SERVER]
    task_id = request.match_info["id"]
    wait = _wait_seconds(request)
    found = _summary(server, task_id)
    if found is None:
        return json_error(404, f"no task {task_id!r}")
    if wait:
        found = await _until_ended(server, task_id, wait) or found
    return web.json_response(found)


async def list_tasks(request: web.Request) -> web.Response:
    status = request.query.get("status") or None
    try:
        limit = min(int(request.query.get("limit", "100")), 1000)
    except ValueError:
        return json_error(400, "'limit' must be a whole number")
    tasks = request.app[SERVER].store.tasks(status=status, limit=limit)
    return web.json_response({"tasks": tasks})


async def task_history(request: web.Request) -> web.Response:
    server = request.app[SERVER]
    task_id = request.match_info["id"]
    try:
        after = int(request.query.get("after", "0"))
        limit = min(int(request.query.get("limit", "1000")), 10000)
    except ValueError:
        return json_error(400, "'after' and 'limit' must be whole numbers")
    events = server.store.history(task_id, after=after, limit=limit)
    if not events and _summary(server, task_id) is None:
        return json_error(404, f"no task {task_id!r}")
    return web.json_response({"id": task_id, "events": events})


def _live_task(server: Server, task_id: str) -> web.Response | None:
    """An error response when the task cannot take messages any more, else None."""
    found = _summary(server, task_id)
    if found is None:
        return json_error(404, f"no task {task_id!r}")
    if found["status"] in FINAL_STATUSES:
        return json_error(409, f"task {task_id!r} has ended ({found['status']})")
    return None


@_handler
async def send_message(request: web.Request) -> web.Response:
    server = request.app[SERVER]
    task_id = request.match_info["id"]
    body = await _json_body(request)
    if "value" not in body:
        raise BadRequest("'value' is required")
    message_id = _field(body, "id", str, None) or uuid.uuid4().hex
    refused = _live_task(server, task_id)
    if refused is not None:
        return refused
    message = Message(
        task_id=task_id,
        kind="message",
        id=f"{task_id}:message:{message_id}",
        payload={"from": None, "value": body["value"]},
    )
    await server.send(message)
    return web.json_response({"id": message.id}, status=202)


@_handler
async def cancel_task(request: web.Request) -> web.Response:
    server = request.app[SERVER]
    task_id = request.match_info["id"]
    body = await _json_body(request)
    reason = _field(body, "reason", str, "cancelled through the API")
    refused = _live_task(server, task_id)
    if refused is not None:
        return refused
    message = Message(
        task_id=task_id,
        kind="cancel",
        id=f"{task_id}:cancel:{uuid.uuid4().hex}",
        payload={"reason": reason},
    )
    await server.send(message)
    return web.json_response({"id": message.id}, status=202)


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)


def add_api_routes(app: web.Application) -> None:
    app.router.add_post("/v1/programs", push_program)
    app.router.add_get("/v1/programs", list_programs)
    app.router.add_post("/v1/tasks", start_task)
    app.router.add_get("/v1/tasks", list_tasks)
    app.router.add_get("/v1/tasks/{id}", get_task)
    app.router.add_get("/v1/tasks/{id}/history", task_history)
    app.router.add_post("/v1/tasks/{id}/messages", send_message)
    app.router.add_post("/v1/tasks/{id}/cancel", cancel_task)
    app.router.add_get("/v1/openapi.json", openapi)
