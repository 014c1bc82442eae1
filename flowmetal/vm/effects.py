"""Effects as requests: the VM's side of waiting for the outside world.

An effect call (flow.http.request, flow.time.sleep, awaiting a child task,
...) emits an effect with a deterministic request id f"{task_id}.{n}" and
returns a `Wait`. `begin_wait` then either finds the answer already here
(an early result: a child that finished before it was awaited) or suspends
the frame stack. When the task's host delivers the answer (a `response`,
`timer` or `message`), `deliver` stores it and, if it is what the task waits
for, `resume` pushes the value onto the waiting frame — or raises the error
there, at the line of the call.

All of this state is plain data kept on the VM, so it is in the snapshot:
the request counter, the requests still pending, the results that arrived,
the queued messages, the open timeout blocks and the current wait.
"""

from __future__ import annotations

from typing import Any

from flowmetal import protocol
from flowmetal.vm.exceptions import EXC_TYPES
from flowmetal.vm.machine import FlowRaise, Machine, Suspend, error
from flowmetal.vm.objects import Response, TimeoutCM, Wait
from flowmetal.vm.values import ExcValue

Outcome = tuple[str, Any]  # ("value", v) or ("error", ExcValue)

# The default exception type of a failed response, per what was waited for.
_DEFAULT_ERROR = {
    "http": "HTTPError",
    "plain": "ConnectorError",
    "child": "TaskFailed",
    "callback": "ConnectorError",
}


class EffectState(Machine):
    """The effect bookkeeping of a task; mixed into the VM class."""

    def init_effects(self, task_id: str) -> None:
        self.task_id = task_id
        self.counter = 0
        self.pending: dict[str, list[Any]] = {}  # request id -> [label, url or None]
        self.results: dict[str, Any] = {}  # request id -> response payload (None for a timer)
        self.queue: list[Any] = []  # messages received and not yet taken by receive()
        self.timeouts: list[TimeoutCM] = []  # open `with timeout(...)` blocks, outermost first
        self.waiting: Wait | None = None
        self.effects: list[protocol.Effect] = []  # emitted during the current step
        self.host: Any = None

    # -- making requests ----------------------------------------------------------------

    def new_id(self) -> str:
        self.counter += 1
        return f"{self.task_id}.{self.counter}"

    def emit(self, effect: protocol.Effect) -> None:
        self.effects.append(effect)

    def expect(self, rid: str, label: str, url: str | None = None) -> None:
        self.pending[rid] = [label, url]

    # -- waiting ------------------------------------------------------------------------

    def begin_wait(self, wait: Wait) -> None:
        if self.nested:
            raise error("RuntimeError", "cannot wait inside a function called by a builtin")
        outcome = self.check_wait(wait)
        if outcome is None:
            cm = self._expired_timeout()
            if cm is not None:
                raise FlowRaise(self._timeout_exc(cm))
            self.waiting = wait
            raise Suspend()
        kind, value = outcome
        if kind == "error":
            raise FlowRaise(value)
        self.frames[-1].stack.append(value)

    def resume(self) -> bool:
        """If the current wait is satisfied, continue the program there. True if it can run."""
        wait = self.waiting
        if wait is None:
            return False
        outcome = self.check_wait(wait)
        if outcome is None:
            return False
        self.waiting = None
        kind, value = outcome
        if kind == "error":
            self.throw(value)
        else:
            self.frames[-1].stack.append(value)
        return True

    def interrupt(self, exc: ExcValue) -> None:
        """Raise `exc` at the current wait point (a timeout, a cancellation)."""
        wait = self.waiting
        self.waiting = None
        if wait is not None and wait.kind == "timer":
            for rid in wait.ids:
                if self.pending.pop(rid, None) is not None:
                    self.emit(protocol.CancelTimer(rid, self.task_id))
        self.throw(exc)

    def check_wait(self, wait: Wait) -> Outcome | None:
        kind = wait.kind
        results = self.results
        if kind == "request":
            rid = wait.ids[0]
            if rid not in results:
                return None
            # A child's result or a callback's delivery can be awaited again; a
            # request's answer is taken once.
            payload = results[rid] if wait.mode in ("child", "callback") else results.pop(rid)
            return self._outcome(payload, wait.mode, rid)
        if kind == "timer":
            rid = wait.ids[0]
            if rid not in results:
                return None
            results.pop(rid)
            return ("value", None)
        if kind == "message":
            if not self.queue:
                return None
            message = self.queue.pop(0)
            return ("value", message.get("value") if isinstance(message, dict) else message)
        if kind == "all":
            for rid in wait.ids:
                payload = results.get(rid)
                if payload is not None and not payload.get("ok"):
                    return ("error", self._child_failed(rid, payload))
            if all(rid in results for rid in wait.ids):
                return ("value", [results[rid].get("value") for rid in wait.ids])
            return None
        if kind == "any":
            # `results` keeps arrival order: the first of these children to finish wins.
            for rid, payload in results.items():
                if rid in wait.ids:
                    if not payload.get("ok"):
                        return ("error", self._child_failed(rid, payload))
                    return ("value", (wait.ids.index(rid), payload.get("value")))
            return None
        raise AssertionError(f"unknown wait kind {kind}")

    def _outcome(self, payload: Any, mode: str, rid: str) -> Outcome:
        if not isinstance(payload, dict):
            return ("error", ExcValue(EXC_TYPES["ConnectorError"], ("malformed response",)))
        if payload.get("ok"):
            value = payload.get("value")
            if mode == "http":
                return ("value", self._response(value, payload.get("url")))
            return ("value", value)
        err = payload.get("error") or {}
        name = err.get("type") if isinstance(err, dict) else None
        message = err.get("message", "") if isinstance(err, dict) else str(err)
        t = EXC_TYPES.get(name or "")
        if t is None or not t.is_subclass_of(EXC_TYPES["Exception"]) or name == "Exception":
            t = EXC_TYPES[_DEFAULT_ERROR[mode]]
        return ("error", ExcValue(t, (message,)))

    def _child_failed(self, rid: str, payload: dict[str, Any]) -> ExcValue:
        err = payload.get("error") or {}
        name = err.get("type", "Exception") if isinstance(err, dict) else "Exception"
        message = err.get("message", "") if isinstance(err, dict) else str(err)
        return ExcValue(EXC_TYPES["TaskFailed"], (f"task {rid} failed: {name}: {message}",))

    def _response(self, value: Any, url: str | None) -> Response:
        if not isinstance(value, dict):
            value = {}
        headers = value.get("headers") or {}
        return Response(
            int(value.get("status", 0)),
            dict(headers) if isinstance(headers, dict) else {},
            str(value.get("text", "")),
            str(value.get("url") or url or ""),
        )

    # -- deliveries from the host -------------------------------------------------------

    def deliver_response(self, rid: str, payload: Any) -> None:
        info = self.pending.get(rid)
        if info is None:
            return  # not ours, or answered already: harmless
        payload = copy_json(payload)  # the program must never share an object with its host
        if info[0] not in ("callback", "task"):
            self.pending.pop(rid)
        if rid not in self.results:
            if not isinstance(payload, dict):
                payload = {"ok": True, "value": payload}
            if info[1]:  # the URL of an HTTP request, for Response.url and raise_for_status
                payload = {**payload, "url": info[1]}
            self.results[rid] = payload

    def deliver_timer(self, rid: str) -> bool:
        """Note a timer firing. True if it interrupts the current wait with Timeout."""
        for cm in self.timeouts:
            if cm.timer_id == rid and cm.state == "active":
                cm.state = "expired"
                if self.waiting is not None:
                    self.interrupt(self._timeout_exc(cm))
                    return True
                return False
        if rid in self.pending and self.pending[rid][0] == "timer":
            self.pending.pop(rid)
            self.results[rid] = None
        return False

    def deliver_message(self, payload: Any) -> None:
        self.queue.append(copy_json(payload))

    # -- timeouts -----------------------------------------------------------------------

    def _expired_timeout(self) -> TimeoutCM | None:
        for cm in reversed(self.timeouts):
            if cm.state == "expired":
                return cm
        return None

    def _timeout_exc(self, cm: TimeoutCM) -> ExcValue:
        cm.state = "fired"
        return ExcValue(EXC_TYPES["Timeout"], (f"timed out after {cm.seconds:g} seconds",))

    def enter_timeout(self, cm: TimeoutCM) -> None:
        if cm.state in ("active", "expired"):
            raise error("RuntimeError", "this timeout block is already in use")
        rid = self.new_id()
        cm.timer_id = rid
        cm.state = "active"
        self.timeouts.append(cm)
        self.emit(protocol.StartTimer(rid, self.task_id, float(cm.seconds)))

    def exit_timeout(self, cm: TimeoutCM) -> None:
        if cm in self.timeouts:
            self.timeouts.remove(cm)
        if cm.state == "active":
            self.emit(protocol.CancelTimer(cm.timer_id, self.task_id))
        cm.state = "done"


def copy_json(value: Any) -> Any:
    """A fresh copy of a JSON value arriving from the host (lists and dicts are copied)."""
    t = type(value)
    if t is list or t is tuple:
        return [copy_json(v) for v in value]
    if t is dict:
        return {k: copy_json(v) for k, v in value.items()}
    return value


def to_json(value: Any, what: str = "value", depth: int = 0) -> Any:
    """A JSON copy of a value crossing the task boundary (tuples become lists). Raises FlowRaise."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if depth > 100:
        raise error("ValueError", f"{what} is nested too deeply to send")
    if isinstance(value, list | tuple):
        return [to_json(v, what, depth + 1) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise error("TypeError", f"keys of a {what} must be str, not {type(k).__name__}")
            out[k] = to_json(v, what, depth + 1)
        return out
    from flowmetal.vm.builtins import type_name

    raise error("TypeError", f"Object of type {type_name(value)} is not JSON serializable ({what})")
