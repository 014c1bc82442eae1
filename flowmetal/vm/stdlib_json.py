"""`flow.json`: JSON text to and from plain values (`from flow.json import dumps, loads`).

Python's json module does the work; these wrappers fix the arguments a
program may pass, render a non-JSON value's type the way Flowmetal names
it, and turn every decoding error into a ValueError. Tuples encode as
arrays, as in Python.
"""

from __future__ import annotations

import json
from typing import Any

from flowmetal.vm.values import Builtin, CallContext


def _refuse(value: Any) -> Any:
    from flowmetal.vm.builtins import type_name

    raise TypeError(f"Object of type {type_name(value)} is not JSON serializable")


def dumps(
    ctx: CallContext,
    obj: Any,
    /,
    *,
    indent: int | str | None = None,
    sort_keys: bool = False,
    separators: tuple[str, str] | list[str] | None = None,
    ensure_ascii: bool = True,
) -> str:
    """`json.dumps` for plain values; anything else is a TypeError."""
    from flowmetal.vm.builtins import check_prospective

    if separators is not None:
        if not isinstance(separators, list | tuple):  # not walked: it could be endless
            raise TypeError("separators must be a (item_separator, key_separator) tuple")
        separators = tuple(separators)  # type: ignore[assignment]
    encoder = json.JSONEncoder(
        indent=indent,
        sort_keys=sort_keys,
        separators=separators,  # type: ignore[arg-type]
        ensure_ascii=ensure_ascii,
        default=_refuse,
    )
    # A list holding one big string many times is small in memory but not as
    # text: count the chunks as they are made and stop at the size limit.
    chunks, total = [], 0
    for chunk in encoder.iterencode(obj):
        chunks.append(chunk)
        total += len(chunk)
        if total > _CHEAP:
            check_prospective(ctx, total)
    return ctx.check_size("".join(chunks))


_CHEAP = 100_000  # below this many characters, skip the size check


def loads(text: Any, /) -> Any:
    """`json.loads` of a str; malformed text is a ValueError naming the line and column."""
    if not isinstance(text, str):
        raise TypeError(f"the JSON object must be str, not {type(text).__name__}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(str(exc)) from None


MODULE: dict[str, Builtin] = {
    "dumps": Builtin("json.dumps", dumps, needs_vm=True),
    "loads": Builtin("json.loads", loads),
}
