"""Binding call arguments to a function's parameters, with Python's rules and messages."""

from __future__ import annotations

from typing import Any

from flowmetal.compile.code import Code
from flowmetal.vm.objects import UNBOUND, Function


def _names(names: list[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    if len(quoted) == 1:
        return quoted[0]
    if len(quoted) == 2:
        return f"{quoted[0]} and {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def bind_arguments(
    slots: list[Any], code: Code, fn: Function, args: Any, kwargs: dict[str, Any] | None
) -> str | None:
    """Fill `slots` (the new frame's locals) from the call; return an error message or None."""
    name = fn.qualname
    argcount = code.argcount
    varnames = code.varnames
    npos = len(args)
    if npos <= argcount:
        slots[:npos] = args
    else:
        if not code.varargs:
            return _too_many(code, fn, npos, kwargs)
        slots[:argcount] = args[:argcount]
    if code.varargs:
        slots[argcount] = tuple(args[argcount:])
    kwstart = argcount + (1 if code.varargs else 0)
    kwend = kwstart + code.kwonlycount
    extra: dict[str, Any] | None = {} if code.varkw else None
    if kwargs:
        for key, value in kwargs.items():
            try:
                i = varnames.index(key, code.posonlycount, kwend)
            except ValueError:
                i = -1
            if i < 0 or (code.varargs and i == argcount):
                if extra is None:
                    posonly = [k for k in kwargs if k in varnames[: code.posonlycount]]
                    if posonly:
                        return (
                            f"{name}() got some positional-only arguments passed as keyword "
                            f"arguments: '{', '.join(posonly)}'"
                        )
                    return f"{name}() got an unexpected keyword argument '{key}'"
                extra[key] = value
                continue
            if slots[i] is not UNBOUND:
                return f"{name}() got multiple values for argument '{key}'"
            slots[i] = value
    defaults = fn.defaults
    if npos < argcount:
        first_default = argcount - len(defaults)
        missing = []
        for i in range(npos, argcount):
            if slots[i] is UNBOUND:
                if i >= first_default:
                    slots[i] = defaults[i - first_default]
                else:
                    missing.append(varnames[i])
        if missing:
            s = "" if len(missing) == 1 else "s"
            return f"{name}() missing {len(missing)} required positional argument{s}: {_names(missing)}"
    if code.kwonlycount:
        missing = []
        for i in range(kwstart, kwend):
            if slots[i] is UNBOUND:
                key = varnames[i]
                if key in fn.kwdefaults:
                    slots[i] = fn.kwdefaults[key]
                else:
                    missing.append(key)
        if missing:
            s = "" if len(missing) == 1 else "s"
            return f"{name}() missing {len(missing)} required keyword-only argument{s}: {_names(missing)}"
    if extra is not None:
        slots[kwend] = extra
    return None


def _too_many(code: Code, fn: Function, npos: int, kwargs: dict[str, Any] | None) -> str:
    argcount = code.argcount
    ndefaults = len(fn.defaults)
    if ndefaults:
        takes = f"from {argcount - ndefaults} to {argcount} positional arguments"
    else:
        takes = f"{argcount} positional argument{'' if argcount == 1 else 's'}"
    given = f"{npos} {'was' if npos == 1 else 'were'} given"
    kwonly_given = sum(
        1 for k in (kwargs or {}) if k in code.varnames[argcount : argcount + code.kwonlycount]
    )
    if kwonly_given:
        given = (
            f"{npos} positional argument{'' if npos == 1 else 's'} "
            f"(and {kwonly_given} keyword-only argument{'' if kwonly_given == 1 else 's'}) were given"
        )
    return f"{fn.qualname}() takes {takes} but {given}"
