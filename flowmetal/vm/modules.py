"""The standard modules flow.http, flow.time, flow.task, flow.connector, flow.random
(and flow.json).

Each function is a Builtin with `needs_vm=True`: it gets the VM (its
CallContext, which also carries the effect machinery of effects.py) and
either returns a value at once (now, self_id, spawn, send, callback.new) or
emits an effect and returns a `Wait` (request, sleep, receive, call,
wait_all, wait_any), on which the VM suspends the task.

Every Builtin here is registered in builtins.BUILTIN_REGISTRY under its
unique name, so a snapshot can store it by name. `vm_attribute` gives the
attributes of the VM's own objects (Response, Callback, TaskHandle, module
objects); plain values get theirs from methods.get_attribute.
"""

from __future__ import annotations

import json
import random
from http import HTTPStatus
from typing import Any

from flowmetal import protocol
from flowmetal.vm import stdlib_json
from flowmetal.vm.builtins import register, type_name
from flowmetal.vm.effects import to_json
from flowmetal.vm.exceptions import EXC_TYPES
from flowmetal.vm.machine import error
from flowmetal.vm.objects import (
    Callback,
    CallbackEvent,
    ForeverCM,
    Function,
    Module,
    Response,
    TaskHandle,
    TimeoutCM,
    Wait,
)
from flowmetal.vm.values import Builtin, ExcValue


def _builtin(name: str, fn: Any, needs_vm: bool = True) -> Builtin:
    return register(Builtin(name, fn, needs_vm=needs_vm))


# Attempts after the first; the wire's field is a 32-bit int, and more than this is a
# loop that belongs in the program.
MAX_RETRIES = 100


def _retries(value: Any, what: str) -> int:
    if not _is_int(value) or not 0 <= value <= MAX_RETRIES:
        raise ValueError(f"{what} retries must be a whole number from 0 to {MAX_RETRIES}")
    return int(value)


# A deadline must fit the wire's 64-bit milliseconds; `forever()` is the way to wait
# without one.
MAX_SECONDS = 100 * 365 * 24 * 3600.0


def _seconds(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} must be a number of seconds, not {type_name(value)}")
    if value < 0:
        raise ValueError(f"{what} must not be negative")
    if not value <= MAX_SECONDS:  # also refuses nan and inf
        raise ValueError(f"{what} must be at most {MAX_SECONDS:g} seconds (100 years)")
    return float(value)


# -- flow.http ------------------------------------------------------------------------------


def _request(
    vm: Any,
    method: str,
    url: str,
    headers: Any = None,
    json: Any = None,
    data: Any = None,
    params: Any = None,
    timeout: Any = None,
    retries: Any = 0,
) -> Wait:
    if not isinstance(method, str) or not isinstance(url, str):
        raise TypeError("request(method, url): method and url must be str")
    retries = _retries(retries, "request()")
    payload = {
        "method": method.upper(),
        "url": url,
        "headers": to_json(headers or {}, "request headers"),
        "json": to_json(json, "request json"),
        "data": to_json(data, "request data"),
        "params": to_json(params or {}, "request params"),
        "timeout": None if timeout is None else _seconds(timeout, "timeout"),
        "retries": retries,
    }
    rid = vm.new_id()
    vm.expect(rid, "http request", url)
    vm.emit(protocol.Request(rid, vm.task_id, "http", payload, payload["timeout"], retries))
    return Wait("request", [rid], "http", "http request")


def _callback_new(vm: Any) -> Callback:
    rid = vm.new_id()
    vm.expect(rid, "callback")
    url = vm.host.callback_url(vm.task_id, rid) if vm.host is not None else f"callback:{rid}"
    return Callback(rid, url)


def _response_json(vm: Any, resp: Response) -> Any:
    text = resp.text
    if len(text) > vm.limits.max_collection:
        vm.check_size(text)
    return json.loads(text)


def _raise_for_status(resp: Response) -> None:
    status = resp.status
    if status >= 400:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
        side = "Client" if status < 500 else "Server"
        # HTTPError has no Python counterpart for from_python to map, so raise it directly.
        raise error("HTTPError", f"{status} {side} Error: {reason} for url: {resp.url}")


CALLBACK = Module("flow.http.callback")

RESPONSE_METHODS: dict[str, Builtin] = {
    "json": _builtin("flow.http.Response.json", _response_json),
    "raise_for_status": _builtin("flow.http.Response.raise_for_status", _raise_for_status, False),
}

# -- flow.time ------------------------------------------------------------------------------


def _sleep(vm: Any, seconds: Any) -> Wait:
    s = _seconds(seconds, "sleep()")
    rid = vm.new_id()
    vm.expect(rid, "timer")
    vm.emit(protocol.StartTimer(rid, vm.task_id, s))
    return Wait("timer", [rid], "plain", "timer")


def _now(vm: Any) -> float:
    import time

    return float(vm.host.now()) if vm.host is not None else time.time()


def _timeout(seconds: Any) -> TimeoutCM | ForeverCM:
    if seconds is None:  # as asyncio.timeout(None): no deadline
        return ForeverCM()
    return TimeoutCM(_seconds(seconds, "timeout()"))


def _forever() -> ForeverCM:
    return ForeverCM()


# -- flow.task ------------------------------------------------------------------------------


def _spawn(vm: Any, target: Any, *args: Any, **kwargs: Any) -> TaskHandle:
    if isinstance(target, Function):
        code = vm.codes[target.code_index]
        if code.qualname != code.name or vm.globals.get(code.name) is not target:
            raise TypeError(f"spawn() needs a top-level function; {target.qualname} is not one")
        program, entry = None, code.name
    elif isinstance(target, str):
        program, entry = target, "main"
    else:
        raise TypeError(
            f"spawn() target must be a function or a program name, not {type_name(target)}"
        )
    json_args = to_json(list(args), "spawn() argument")
    json_kwargs = to_json(kwargs, "spawn() argument")
    rid = vm.new_id()
    vm.expect(rid, "task")
    vm.emit(protocol.SpawnTask(rid, vm.task_id, rid, program, None, entry, json_args, json_kwargs))
    return TaskHandle(rid)


def _handles(handles: Any, what: str) -> list[str]:
    if not isinstance(handles, list | tuple):
        raise TypeError(f"{what}() takes a list of task handles")
    ids = []
    for h in handles:
        if not isinstance(h, TaskHandle):
            raise TypeError(f"{what}() takes task handles, not {type_name(h)}")
        ids.append(h.id)
    return ids


def _wait_all(vm: Any, handles: Any) -> Any:
    ids = _handles(handles, "wait_all")
    if not ids:
        return []
    return Wait("all", ids, "child", "tasks")


def _wait_any(vm: Any, handles: Any) -> Wait:
    ids = _handles(handles, "wait_any")
    if not ids:
        raise ValueError("wait_any() needs at least one task handle")
    return Wait("any", ids, "child", "tasks")


def _send(vm: Any, task_id: Any, value: Any) -> None:
    if not isinstance(task_id, str):
        raise TypeError(f"send() task id must be str, not {type_name(task_id)}")
    rid = vm.new_id()
    vm.emit(protocol.SendMessage(rid, vm.task_id, task_id, to_json(value, "sent value")))


def _receive(vm: Any) -> Wait:
    return Wait("message", [], "plain", "message")


def _self_id(vm: Any) -> str:
    return str(vm.task_id)


# -- flow.connector -------------------------------------------------------------------------


def _call(vm: Any, kind: Any, payload: Any = None, timeout: Any = None, retries: Any = 0) -> Wait:
    if not isinstance(kind, str) or not kind:
        raise TypeError("call() kind must be a non-empty str")
    seconds = None if timeout is None else _seconds(timeout, "timeout")
    retries = _retries(retries, "call()")
    rid = vm.new_id()
    vm.expect(rid, f"{kind} request")
    body = to_json(payload, "call() payload")
    vm.emit(protocol.Request(rid, vm.task_id, kind, body, seconds, retries))
    return Wait("request", [rid], "plain", f"{kind} request")


# -- flow.random ----------------------------------------------------------------------------
#
# Numbers come from the host (`Host.rng()`: the operating system's randomness in
# the service, a seeded generator in tests). No determinism is needed: a task
# keeps what it drew in its state, and a step that fails to persist is drawn again.

_SEQUENCES = (list, tuple, str, range)


_SYSTEM_RANDOM = random.SystemRandom()


def _rng(vm: Any) -> random.Random:
    """The host's generator; the system's when the VM runs without a host."""
    return vm.host.rng() if vm.host is not None else _SYSTEM_RANDOM


def _random(vm: Any) -> float:
    return float(_rng(vm).random())


def _randint(vm: Any, a: Any, b: Any) -> int:
    if not (_is_int(a) and _is_int(b)):
        raise TypeError("randint() arguments must be integers")
    if a > b:
        raise ValueError(f"empty range in randint({a}, {b})")
    return int(_rng(vm).randint(a, b))


def _uniform(vm: Any, a: Any, b: Any) -> float:
    if not (_is_number(a) and _is_number(b)):
        raise TypeError("uniform() arguments must be numbers")
    return float(_rng(vm).uniform(a, b))


def _choice(vm: Any, seq: Any) -> Any:
    if not isinstance(seq, _SEQUENCES):
        raise TypeError(f"choice() needs a list, tuple, str or range, not {type_name(seq)}")
    if not seq:
        raise IndexError("Cannot choose from an empty sequence")
    return seq[_rng(vm).randrange(len(seq))]


def _shuffle(vm: Any, items: Any) -> None:
    if type(items) is not list:
        raise TypeError(f"shuffle() needs a list, not {type_name(items)}")
    _rng(vm).shuffle(items)


def _sample(vm: Any, population: Any, k: Any) -> list[Any]:
    if not isinstance(population, _SEQUENCES):
        raise TypeError(f"sample() needs a list, tuple, str or range, not {type_name(population)}")
    if not _is_int(k):
        raise TypeError("sample() k must be an integer")
    if not 0 <= k <= len(population):
        raise ValueError("Sample larger than population or is negative")
    vm.check_count(k)  # refused before the list is built
    return list(_rng(vm).sample(population, k))


def _uuid4(vm: Any) -> str:
    import uuid

    return str(uuid.UUID(int=_rng(vm).getrandbits(128), version=4))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


MODULES: dict[str, dict[str, Any]] = {
    "flow": {
        "http": Module("flow.http"),
        "time": Module("flow.time"),
        "task": Module("flow.task"),
        "connector": Module("flow.connector"),
        "json": Module("flow.json"),
        "random": Module("flow.random"),
    },
    "flow.http": {
        "request": _builtin("flow.http.request", _request),
        "callback": CALLBACK,
        "Response": _builtin("flow.http.Response", lambda *a: _no_construct("Response"), False),
        "HTTPError": EXC_TYPES["HTTPError"],
        "Timeout": EXC_TYPES["Timeout"],
        "ConnectorError": EXC_TYPES["ConnectorError"],
    },
    "flow.http.callback": {"new": _builtin("flow.http.callback.new", _callback_new)},
    "flow.time": {
        "sleep": _builtin("flow.time.sleep", _sleep),
        "now": _builtin("flow.time.now", _now),
        "timeout": _builtin("flow.time.timeout", _timeout, False),
        "forever": _builtin("flow.time.forever", _forever, False),
        "Timeout": EXC_TYPES["Timeout"],
    },
    "flow.task": {
        "spawn": _builtin("flow.task.spawn", _spawn),
        "send": _builtin("flow.task.send", _send),
        "receive": _builtin("flow.task.receive", _receive),
        "self_id": _builtin("flow.task.self_id", _self_id),
        "wait_all": _builtin("flow.task.wait_all", _wait_all),
        "wait_any": _builtin("flow.task.wait_any", _wait_any),
        "TaskFailed": EXC_TYPES["TaskFailed"],
        "Cancelled": EXC_TYPES["Cancelled"],
    },
    "flow.connector": {
        "call": _builtin("flow.connector.call", _call),
        "ConnectorError": EXC_TYPES["ConnectorError"],
    },
    "flow.json": dict(stdlib_json.MODULE),
    "flow.random": {
        "random": _builtin("flow.random.random", _random),
        "randint": _builtin("flow.random.randint", _randint),
        "uniform": _builtin("flow.random.uniform", _uniform),
        "choice": _builtin("flow.random.choice", _choice),
        "shuffle": _builtin("flow.random.shuffle", _shuffle),
        "sample": _builtin("flow.random.sample", _sample),
        "uuid4": _builtin("flow.random.uuid4", _uuid4),
    },
}


def _no_construct(name: str) -> Any:
    raise TypeError(f"cannot create '{name}' instances")


def bind_vm_method(name: str, receiver: Any) -> Builtin:
    """A bound method of a VM object by registry name (how a snapshot rebuilds it)."""
    short = name.rsplit(".", 1)[-1]
    unbound = RESPONSE_METHODS[short]
    return Builtin(unbound.name, unbound.fn, needs_vm=unbound.needs_vm, bound_self=receiver)


# An exception's chaining attributes, Python's names -> ExcValue fields.
_CHAIN_ATTRS = {
    "__context__": "context",
    "__cause__": "cause",
    "__suppress_context__": "suppress_context",
}


def vm_attribute(obj: Any, name: str) -> tuple[bool, Any]:
    """(True, obj.name) for the VM's own objects; (False, None) to defer to methods.py."""
    t = type(obj)
    if t is Module:
        table = MODULES.get(obj.name, {})
        if name in table:
            return True, table[name]
        raise AttributeError(f"module '{obj.name}' has no attribute '{name}'")
    if t is Response:
        if name in ("status", "headers", "text", "url"):
            return True, getattr(obj, name)
        if name == "status_code":
            return True, obj.status
        if name == "ok":
            return True, obj.status < 400
        if name in RESPONSE_METHODS:
            return True, bind_vm_method(RESPONSE_METHODS[name].name, obj)
    elif t is Callback:
        if name == "url":
            return True, obj.url
        if name == "id":
            return True, obj.id
        if name == "event":
            return True, CallbackEvent(obj.id)
    elif t is TaskHandle:
        if name == "id":
            return True, obj.id
    elif t is TimeoutCM:
        if name == "seconds":
            return True, obj.seconds
    elif t is Function:
        if name == "__name__":
            return True, obj.name
    elif t is ExcValue and name in _CHAIN_ATTRS:
        return True, getattr(obj, _CHAIN_ATTRS[name])
    else:
        return False, None
    raise AttributeError(f"'{type_name(obj)}' object has no attribute '{name}'")
