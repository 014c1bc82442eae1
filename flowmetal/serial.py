"""Task snapshots: a task's whole state to bytes and back. No pickle, nothing that can run code.

Byte layout of a snapshot:

    +--------+----------------+-----------------------------------------------+
    | "FMSN" | format (u16 BE)| Avro binary body (schemaless; schemas/snapshot.avsc) |
    +--------+----------------+-----------------------------------------------+
      4 bytes     2 bytes       the record `flowmetal.snapshot.v1.Snapshot`

The format number is read before anything else, so a reader refuses a
format it does not know with a clear SnapshotError instead of misreading it.

The Avro record holds the task's header (program version, task id, status,
counters, the current wait, the error), its frames (code index, pc, block
stack) and the *heap*: every value the task can reach — globals, locals,
operand stacks, cells, functions, exceptions, iterators, effect handles,
pending results, queued messages — as one graph in which each list, dict,
set, tuple, cell, function, ... appears once and is referred to by index.
That is what preserves sharing and cycles: two names bound to one list
still share it after a round trip.

The heap travels as a JSON array (UTF-8 bytes) in the `heap` field, because encoding a
value per Avro union item costs microseconds each while the C JSON codec
handles a list of 100,000 numbers in a few milliseconds. Each heap entry is
a JSON array whose first element is its kind:

    ["l", [items]]  list        ["t", [items]] tuple     ["s", [items]] set
    ["f", [items]]  frozenset   ["d", [keys], [values]]  dict
    ["c"] / ["c", v]  cell (unbound / bound)            ["u"] the unbound marker
    ["fn", code, name, qualname, defaults, kwdefaults, closure]   function
    ["x", type, args, [[file, line, name], ...], context]         exception
    ["x", type, args, [[file, line, name], ...], context, cause, suppress_context]
                    the same after `raise ... from` (the two are written only then)
    ["T", name] exception class   ["b", name] builtin   ["m", name, receiver] bound method
    ["M", name] module   ["r", start, stop, step] range   ["sl", lo, hi, step] slice
    ["it", seq, index, watch, size] iterator   ["I", hex] int too big for JSON
    ["R", status, headers, text, url] Response   ["cb", id, url] Callback
    ["ce", id] callback event   ["h", id] task handle   ["to", seconds, timer, state]
    ["fe"] forever()   ["dv", "keys"|"values"|"items", dict] a live dict view

and a value inside an entry is either a JSON scalar (null, true, false, a
number, a string: the plain value itself) or a one-element array `[i]`: a
reference to heap entry i. Builtins are stored by their registry name and
bound methods as (name, receiver), so nothing native is ever serialised.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import struct
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import fastavro

from flowmetal.compile.code import Program
from flowmetal.compile.opcodes import BYTECODE_VERSION
from flowmetal.errors import SnapshotError
from flowmetal.vm import methods, objects
from flowmetal.vm.builtins import BUILTIN_REGISTRY
from flowmetal.vm.exceptions import EXC_TYPES
from flowmetal.vm.modules import bind_vm_method
from flowmetal.vm.values import Builtin, ExcType, ExcValue

if TYPE_CHECKING:
    from flowmetal.vm.limits import Limits
    from flowmetal.vm.task import Host, Task

MAGIC = b"FMSN"
SNAPSHOT_FORMAT = 1
_HEADER = struct.Struct(">4sH")

_WAIT = {
    "type": "record",
    "name": "Wait",
    "fields": [
        {"name": "kind", "type": "string"},
        {"name": "ids", "type": {"type": "array", "items": "string"}},
        {"name": "mode", "type": "string"},
        {"name": "label", "type": "string"},
    ],
}
_ERROR = {
    "type": "record",
    "name": "TaskError",
    "fields": [
        {"name": "type", "type": "string"},
        {"name": "message", "type": "string"},
        {"name": "traceback", "type": "string"},
    ],
}
_BLOCK = {
    "type": "record",
    "name": "Block",
    "fields": [
        {"name": "kind", "type": "int"},
        {"name": "handler", "type": "int"},
        {"name": "depth", "type": "int"},
        {"name": "exc", "type": "long", "doc": "heap index of the exception, or -1"},
    ],
}
_FRAME = {
    "type": "record",
    "name": "Frame",
    "fields": [
        {"name": "code", "type": "int", "doc": "index into the program's code objects"},
        {"name": "pc", "type": "int"},
        {
            "name": "function",
            "type": "long",
            "doc": "heap index of the function, -1 for the module",
        },
        {"name": "locals", "type": "long", "doc": "heap index of the list of local slots"},
        {"name": "cells", "type": "long", "doc": "heap index of the list of cells"},
        {"name": "stack", "type": "long", "doc": "heap index of the operand stack (a list)"},
        {"name": "retval", "type": "long", "doc": "heap index of a one-element list"},
        {"name": "blocks", "type": {"type": "array", "items": _BLOCK}},
    ],
}
SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "Snapshot",
    "namespace": "flowmetal.snapshot.v1",
    "doc": "A Flowmetal task's whole state (flowmetal/serial.py draws the byte layout).",
    "fields": [
        {"name": "format", "type": "int"},
        {"name": "bytecode", "type": "int"},
        {"name": "program_version", "type": "string"},
        {"name": "task_id", "type": "string"},
        {"name": "status", "type": "string"},
        {"name": "started", "type": "boolean"},
        {"name": "phase", "type": "string"},
        {"name": "entry", "type": "string"},
        {"name": "parent", "type": ["null", "string"]},
        {"name": "parent_request", "type": ["null", "string"]},
        {"name": "counter", "type": "long"},
        {"name": "waiting", "type": ["null", _WAIT]},
        {"name": "error", "type": ["null", _ERROR]},
        {"name": "frames", "type": {"type": "array", "items": _FRAME}},
        {
            "name": "state",
            "type": "long",
            "doc": "heap index of [globals, args, kwargs, pending, results, queue, timeouts, result]",
        },
        {
            "name": "heap",
            "type": "bytes",
            "doc": "the value graph as a JSON array, UTF-8 with surrogates passed through (serial.py)",
        },
    ],
}
_PARSED = fastavro.parse_schema(SCHEMA)
# The heap's JSON writer. No circularity check: the heap is a tree of fresh lists
# (entries refer to each other by index), and skipping the check saves a dict
# insert and delete per entry.
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)
_SCHEMAS = {SNAPSHOT_FORMAT: _PARSED}


# -- the heap: encoding ----------------------------------------------------------------------

_VIEW_KINDS = {type({}.keys()): "keys", type({}.values()): "values", type({}.items()): "items"}
_SCALAR_TYPES = frozenset({type(None), bool, int, float, str})
_BIG = 10**4000  # JSON ints past this many digits trip Python's int/str conversion limit
_PLAIN = frozenset({type(None), bool, float, str})  # JSON scalars as they are
_NUMBERS = frozenset({bool, int, float})  # JSON numbers as they are, if not too big
_SHORT = 8  # sequences up to this long are checked element by element


class _Encoder:
    """Numbers every reachable object in first-reference order and builds its heap entry.

    The encoder runs once per snapshot, and hosts snapshot after every step,
    so its loops are written for speed: `vals` gives out references inline
    rather than through `ref`, a slot of the heap holds its object until the
    entry replaces it (so `todo` is a stack of bare indexes), and `run`
    dispatches list, dict and tuple before looking the rarer kinds up in a
    table. Indexes are given out in the order of a depth-first walk that
    takes a container's items in order.
    """

    def __init__(self) -> None:
        self.heap: list[Any] = []
        self.memo: dict[int, int] = {}
        self.todo: list[int] = []
        # Objects made only for this snapshot: kept alive until it is done, so that
        # no later object can be given the id (the memo key) of a freed one.
        self.temporaries: list[Any] = []

    def temporary(self, obj: Any) -> int:
        """`ref` of an object made for the snapshot rather than found in the task."""
        self.temporaries.append(obj)
        return self.ref(obj)

    def ref(self, obj: Any) -> int:
        heap = self.heap
        n = len(heap)
        i = self.memo.setdefault(id(obj), n)
        if i == n:  # first sight: the slot holds the object until run() encodes it
            heap.append(obj)
            self.todo.append(n)
        return i

    def val(self, v: Any) -> Any:
        t = type(v)
        if t is int:
            if -_BIG < v < _BIG:
                return v
            i = len(self.heap)
            self.heap.append(["I", hex(v)])
            return [i]
        if t in _SCALAR_TYPES:
            return v
        return [self.ref(v)]

    def vals(self, items: Any) -> list[Any]:
        """Encode a sequence of values, reusing it as-is when it holds only plain scalars."""
        # The common case, a sequence of plain scalars, is stored as it is. A long
        # one is recognised by one C-speed pass over its element types; for a
        # short one (most of them) a plain loop is cheaper than making that set.
        if len(items) > _SHORT:
            types = set(map(type, items))
            if types <= _PLAIN or (types <= _NUMBERS and max(items) < _BIG and min(items) > -_BIG):
                return items if type(items) is list else list(items)
        else:
            for x in items:
                if not (type(x) in _PLAIN or (type(x) is int and -_BIG < x < _BIG)):
                    break
            else:
                return items if type(items) is list else list(items)
        heap, setdefault, todo = self.heap, self.memo.setdefault, self.todo
        out: list[Any] = []
        append = out.append
        for x in items:
            t = type(x)
            if t in _PLAIN:
                append(x)
            elif t is int:
                if -_BIG < x < _BIG:
                    append(x)
                else:
                    append([len(heap)])
                    heap.append(["I", hex(x)])
            else:  # ref(x), inline
                n = len(heap)
                i = setdefault(id(x), n)
                if i == n:
                    heap.append(x)
                    todo.append(n)
                append([i])
        return out

    def run(self) -> None:
        heap, todo, vals, other = self.heap, self.todo, self.vals, _ENTRIES
        pop = todo.pop
        while todo:
            i = pop()
            obj = heap[i]
            t = type(obj)
            if t is list:
                # A short list of plain scalars (most lists) is recognised here,
                # without a call to vals().
                if len(obj) <= _SHORT:
                    for x in obj:
                        if not (type(x) in _PLAIN or (type(x) is int and -_BIG < x < _BIG)):
                            break
                    else:
                        heap[i] = ["l", obj]
                        continue
                heap[i] = ["l", vals(obj)]
            elif t is dict:
                heap[i] = ["d", vals(list(obj)), vals(list(obj.values()))]
            elif t is tuple:
                heap[i] = ["t", vals(obj)]
            else:
                make = other.get(t)
                if make is None:
                    if obj is objects.UNBOUND:
                        heap[i] = ["u"]
                        continue
                    raise SnapshotError(f"cannot snapshot a value of type {t.__name__}")
                heap[i] = make(self, obj)


def _exception(enc: _Encoder, obj: ExcValue) -> list[Any]:
    entry = [
        "x",
        obj.type.name,
        enc.val(obj.args) if type(obj.args) is tuple else [enc.temporary(tuple(obj.args))],
        [list(e) for e in obj.traceback],
        enc.val(obj.context),
    ]
    if obj.cause is not None or obj.suppress_context:
        # Appended only when set, so that snapshots of tasks not using
        # `raise ... from` are the bytes they always were.
        entry += [enc.val(obj.cause), obj.suppress_context]
    return entry


def _builtin(enc: _Encoder, obj: Builtin) -> list[Any]:
    if obj.bound_self is None:
        return ["b", obj.name]
    return ["m", obj.name, enc.val(obj.bound_self)]


def _dict_view(enc: _Encoder, obj: Any) -> list[Any]:
    # A dict view stays live: store which view of which dict. The dict is
    # the one object its read-only `mapping` proxy refers to.
    (target,) = gc.get_referents(obj.mapping)
    return ["dv", _VIEW_KINDS[type(obj)], enc.val(target)]


_o = objects
# The heap entry of each kind other than list, dict and tuple (see the module docstring).
_ENTRIES: dict[type, Callable[[_Encoder, Any], list[Any]]] = {
    set: lambda enc, obj: ["s", enc.vals(list(obj))],
    frozenset: lambda enc, obj: ["f", enc.vals(list(obj))],
    _o.Cell: lambda enc, obj: ["c"] if obj.value is _o.UNBOUND else ["c", enc.val(obj.value)],
    _o.Function: lambda enc, obj: [
        "fn",
        obj.code_index,
        obj.name,
        obj.qualname,
        enc.val(obj.defaults),
        enc.val(obj.kwdefaults),
        enc.val(obj.closure),
    ],
    ExcValue: _exception,
    ExcType: lambda enc, obj: ["T", obj.name],
    Builtin: _builtin,
    _o.SeqIter: lambda enc, obj: [
        "it",
        enc.val(obj.seq),
        obj.index,
        enc.val(obj.watch),
        obj.size,
    ],
    range: lambda enc, obj: ["r", obj.start, obj.stop, obj.step],
    slice: lambda enc, obj: ["sl", enc.val(obj.start), enc.val(obj.stop), enc.val(obj.step)],
    _o.Module: lambda enc, obj: ["M", obj.name],
    _o.Response: lambda enc, obj: ["R", obj.status, enc.val(obj.headers), obj.text, obj.url],
    _o.Callback: lambda enc, obj: ["cb", obj.id, obj.url],
    _o.CallbackEvent: lambda enc, obj: ["ce", obj.id],
    _o.TaskHandle: lambda enc, obj: ["h", obj.id],
    _o.TimeoutCM: lambda enc, obj: ["to", obj.seconds, obj.timer_id, obj.state],
    _o.ForeverCM: lambda enc, obj: ["fe"],
    **{view: _dict_view for view in _VIEW_KINDS},
}


# -- the heap: decoding ----------------------------------------------------------------------

_MUTABLE = frozenset({"l", "d", "s", "c", "fn", "x", "it", "R", "to"})


class _Decoder:
    def __init__(self, heap: list[Any]) -> None:
        self.o = objects
        self.heap = heap
        self.objs: list[Any] = [None] * len(heap)
        self.done = [False] * len(heap)

    def run(self) -> None:
        heap, objs, done = self.heap, self.objs, self.done
        for i, e in enumerate(
            heap
        ):  # 1. shells for everything that has identity or may be in a cycle
            if e[0] in _MUTABLE:
                objs[i] = self.shell(e)
                done[i] = True
        for i in range(len(heap)):  # 2. immutable values, built children first
            if not done[i]:
                self.build(i)
        for i, e in enumerate(heap):  # 3. fill the shells
            if e[0] in _MUTABLE:
                self.fill(objs[i], e)

    def val(self, v: Any) -> Any:
        if type(v) is list:
            i = v[0]
            if not self.done[i]:
                self.build(i)
            return self.objs[i]
        return v

    def vals(self, items: list[Any]) -> list[Any]:
        if list in set(map(type, items)):
            val = self.val
            return [val(x) for x in items]
        return items

    def shell(self, e: list[Any]) -> Any:
        o = self.o
        k = e[0]
        if k == "l":
            return e[1]  # the decoded JSON list becomes the list itself; refs are replaced in place
        if k == "d":
            return {}
        if k == "s":
            return set()
        if k == "c":
            return o.Cell()
        if k == "fn":
            return o.Function(e[1], e[2], e[3], (), {}, ())
        if k == "x":
            if e[1] not in EXC_TYPES:
                raise SnapshotError(f"unknown exception type {e[1]!r} in snapshot")
            return ExcValue(EXC_TYPES[e[1]], ())
        if k == "it":
            return o.SeqIter(None, e[2], None, e[4])
        if k == "R":
            return o.Response(e[1], {}, e[3], e[4])
        if k == "to":
            return o.TimeoutCM(e[1], e[2], e[3])
        raise SnapshotError(f"unknown heap entry kind {k!r}")

    def fill(self, obj: Any, e: list[Any]) -> None:
        k = e[0]
        val = self.val
        if k == "l":
            items = obj
            if list in set(map(type, items)):
                for j, x in enumerate(items):
                    if type(x) is list:
                        items[j] = val(x)
        elif k == "d":
            obj.update(zip(self.vals(e[1]), self.vals(e[2]), strict=True))
        elif k == "s":
            obj.update(self.vals(e[1]))
        elif k == "c":
            if len(e) > 1:
                obj.value = val(e[1])
        elif k == "fn":
            obj.defaults = val(e[4])
            obj.kwdefaults = val(e[5])
            obj.closure = val(e[6])
        elif k == "x":
            obj.args = val(e[2])
            obj.traceback = [(f, int(line), n) for f, line, n in e[3]]
            obj.context = val(e[4])
            if len(e) > 5:  # `raise ... from`: absent from older snapshots
                obj.cause = val(e[5])
                obj.suppress_context = e[6] is True
        elif k == "it":
            obj.seq = val(e[1])
            obj.watch = val(e[3])
        elif k == "R":
            obj.headers = val(e[2])

    def build(self, root: int) -> None:
        """Build immutable entry `root` and the immutable entries it needs, without recursion."""
        heap, done = self.heap, self.done
        stack = [root]
        while stack:
            i = stack[-1]
            if done[i]:
                stack.pop()
                continue
            missing = [r[0] for r in self.children(heap[i]) if not done[r[0]]]
            if missing:
                stack.extend(missing)
                continue
            self.objs[i] = self.immutable(heap[i])
            done[i] = True
            stack.pop()

    def children(self, e: list[Any]) -> list[Any]:
        k = e[0]
        if k in ("t", "f"):
            return [x for x in e[1] if type(x) is list]
        if k == "m":
            return [e[2]] if type(e[2]) is list else []
        if k == "sl":
            return [x for x in e[1:] if type(x) is list]
        return []  # "dv" refers to a dict, which is a shell by now

    def immutable(self, e: list[Any]) -> Any:
        o = self.o
        k = e[0]
        if k == "t":
            return tuple(self.vals(e[1]))
        if k == "f":
            return frozenset(self.vals(e[1]))
        if k == "I":
            return int(e[1], 16)
        if k == "u":
            return o.UNBOUND
        if k == "T":
            if e[1] not in EXC_TYPES:
                raise SnapshotError(f"unknown exception type {e[1]!r} in snapshot")
            return EXC_TYPES[e[1]]
        if k == "b":
            if e[1] not in BUILTIN_REGISTRY:
                raise SnapshotError(f"unknown builtin {e[1]!r} in snapshot")
            return BUILTIN_REGISTRY[e[1]]
        if k == "m":
            receiver = self.val(e[2])
            if e[1] in methods.METHODS:
                return methods.bind_method(e[1], receiver)
            return bind_vm_method(e[1], receiver)
        if k == "r":
            return range(e[1], e[2], e[3])
        if k == "sl":
            return slice(self.val(e[1]), self.val(e[2]), self.val(e[3]))
        if k == "M":
            return o.Module(e[1])
        if k == "cb":
            return o.Callback(e[1], e[2])
        if k == "ce":
            return o.CallbackEvent(e[1])
        if k == "h":
            return o.TaskHandle(e[1])
        if k == "fe":
            return o.ForeverCM()
        if k == "dv":
            return getattr(self.val(e[2]), e[1])()
        raise SnapshotError(f"unknown heap entry kind {k!r}")


# -- tasks -----------------------------------------------------------------------------------


def encode_task(task: Task) -> bytes:
    """The snapshot bytes of `task`."""
    # Encoding allocates a few small lists per heap entry, none of them in a
    # cycle: the cyclic collector, which would otherwise run every 700
    # allocations and now and then walk all the host's objects, has nothing to
    # find, so it waits until the snapshot is made. (Hosts snapshot after every
    # step; this was about half the cost of a snapshot of a few thousand entries.)
    with _collector_paused():
        return _encode_task(task)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _encode_task(task: Task) -> bytes:
    vm = task.vm
    enc = _Encoder()
    frames = []
    for f in vm.frames:
        frames.append(
            {
                "code": f.code.index,
                "pc": f.pc,
                "function": -1 if f.function is None else enc.ref(f.function),
                "locals": enc.ref(f.locals),
                "cells": enc.ref(f.cells),
                "stack": enc.ref(f.stack),
                "retval": enc.temporary([f.retval]),
                "blocks": [
                    {
                        "kind": b[0],
                        "handler": b[1],
                        "depth": b[2],
                        "exc": -1 if b[3] is None else enc.ref(b[3]),
                    }
                    for b in f.blocks
                ],
            }
        )
    state = [
        vm.globals,
        task.args,
        task.kwargs,
        vm.pending,
        vm.results,
        vm.queue,
        vm.timeouts,
        task.result,
    ]
    state_ref = enc.ref(state)
    enc.run()
    try:
        # Not ensure_ascii: a lone surrogate in a str must come back as itself, not
        # be merged with its neighbour by the JSON decoder, so it travels raw
        # ("surrogatepass") inside the UTF-8 bytes.
        heap = _JSON.encode(enc.heap).encode("utf-8", "surrogatepass")
    except ValueError as exc:
        raise SnapshotError(f"cannot encode task state: {exc}") from exc
    w = vm.waiting
    err = task.error
    record = {
        "format": SNAPSHOT_FORMAT,
        "bytecode": BYTECODE_VERSION,
        "program_version": task.program.version,
        "task_id": vm.task_id,
        "status": task.status,
        "started": task.started,
        "phase": task.phase,
        "entry": task.entry,
        "parent": task.parent,
        "parent_request": task.parent_request,
        "counter": vm.counter,
        "waiting": None
        if w is None
        else {"kind": w.kind, "ids": list(w.ids), "mode": w.mode, "label": w.label},
        "error": None
        if err is None
        else {"type": err.type, "message": err.message, "traceback": err.traceback},
        "frames": frames,
        "state": state_ref,
        "heap": heap,
    }
    out = io.BytesIO()
    out.write(_HEADER.pack(MAGIC, SNAPSHOT_FORMAT))
    fastavro.schemaless_writer(out, _PARSED, record)
    return out.getvalue()


def read_record(data: bytes) -> dict[str, Any]:
    """The Avro record of a snapshot, after checking its magic and format version."""
    if len(data) < _HEADER.size:
        raise SnapshotError("not a Flowmetal snapshot: too short")
    magic, fmt = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise SnapshotError("not a Flowmetal snapshot: bad magic bytes")
    schema = _SCHEMAS.get(fmt)
    if schema is None:
        known = ", ".join(str(v) for v in sorted(_SCHEMAS))
        raise SnapshotError(
            f"snapshot format {fmt} is not supported by this Flowmetal (it reads format {known}); "
            "run a Flowmetal version that knows this format"
        )
    try:
        record = fastavro.schemaless_reader(io.BytesIO(data[_HEADER.size :]), schema)
    except Exception as exc:
        raise SnapshotError(f"corrupt snapshot: {exc}") from exc
    if not isinstance(record, dict):
        raise SnapshotError("corrupt snapshot: not a record")
    return record


def decode_task(data: bytes, program: Program, limits: Limits, host: Host | None) -> Task:
    """Rebuild a Task from `encode_task` bytes; `program` must be the version it ran."""
    with _collector_paused():  # as in encode_task: many allocations, nothing to collect yet
        return _decode_task(data, program, limits, host)


def _decode_task(data: bytes, program: Program, limits: Limits, host: Host | None) -> Task:
    from flowmetal import protocol
    from flowmetal.vm.frame import Frame
    from flowmetal.vm.objects import Wait
    from flowmetal.vm.task import Task
    from flowmetal.vm.vm import VM

    record = read_record(data)
    if record["program_version"] != program.version:
        raise SnapshotError(
            f"snapshot is of program version {record['program_version'][:12]}, "
            f"not {program.version[:12]}"
        )
    if record["bytecode"] != BYTECODE_VERSION:
        raise SnapshotError(
            f"snapshot was made with bytecode version {record['bytecode']}, this VM runs {BYTECODE_VERSION}"
        )
    try:
        heap = json.loads(record["heap"].decode("utf-8", "surrogatepass"))
        dec = _Decoder(heap)
        dec.run()
        objs = dec.objs
        vm = VM(program, limits, record["task_id"])
        task = Task(program, vm, limits, host)
        for fr in record["frames"]:
            if not 0 <= fr["code"] < len(program.codes):
                raise SnapshotError(
                    f"snapshot refers to code {fr['code']}, which the program lacks"
                )
            f = Frame(
                program.codes[fr["code"]], None if fr["function"] < 0 else objs[fr["function"]]
            )
            f.pc = fr["pc"]
            f.locals = objs[fr["locals"]]
            f.cells = objs[fr["cells"]]
            f.stack = objs[fr["stack"]]
            f.retval = objs[fr["retval"]][0]
            f.blocks = [
                (b["kind"], b["handler"], b["depth"], None if b["exc"] < 0 else objs[b["exc"]])
                for b in fr["blocks"]
            ]
            vm.frames.append(f)
        state = objs[record["state"]]
        (
            vm.globals,
            task.args,
            task.kwargs,
            vm.pending,
            vm.results,
            vm.queue,
            vm.timeouts,
            task.result,
        ) = state
    except SnapshotError:
        raise
    except (AttributeError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise SnapshotError(f"corrupt snapshot: {type(exc).__name__}: {exc}") from exc
    vm.counter = record["counter"]
    w = record["waiting"]
    vm.waiting = None if w is None else Wait(w["kind"], list(w["ids"]), w["mode"], w["label"])
    task.status = record["status"]
    task.started = record["started"]
    task.phase = record["phase"]
    task.entry = record["entry"]
    task.parent = record["parent"]
    task.parent_request = record["parent_request"]
    e = record["error"]
    task.error = None if e is None else protocol.TaskError(e["type"], e["message"], e["traceback"])
    return task
