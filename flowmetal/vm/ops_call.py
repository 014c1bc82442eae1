"""Opcodes for calls, attributes, f-string formatting, imports and `await`."""

from __future__ import annotations

from typing import Any

from flowmetal.compile.opcodes import STANDARD_MODULES
from flowmetal.vm.builtins import format_value, to_ascii, to_repr, to_str, type_name
from flowmetal.vm.exceptions import from_python
from flowmetal.vm.frame import Frame
from flowmetal.vm.machine import FlowRaise, Machine, error
from flowmetal.vm.methods import get_attribute
from flowmetal.vm.modules import MODULES, vm_attribute
from flowmetal.vm.objects import CallbackEvent, Module, TaskHandle, Wait

_CONVERT = [None, to_str, to_repr, to_ascii]


class CallOps(Machine):
    def op_CALL(self, f: Frame, arg: int) -> None:
        s = f.stack
        if arg:
            args = s[-arg:]
            del s[-arg:]
        else:
            args = []
        self.call_value(s.pop(), args, None)

    def op_CALL_KW(self, f: Frame, arg: int) -> None:
        s = f.stack
        names: tuple[str, ...] = s.pop()
        values = s[-arg:]
        del s[-arg:]
        npos = arg - len(names)
        kwargs = dict(zip(names, values[npos:], strict=True))
        self.call_value(s.pop(), values[:npos], kwargs)

    def op_CALL_EX(self, f: Frame, arg: int) -> None:
        s = f.stack
        kwargs = s.pop() if arg & 1 else None
        args = s.pop()
        fn = s.pop()
        if kwargs is not None:
            for key in kwargs:
                if type(key) is not str:
                    raise error("TypeError", "keywords must be strings")
        self.call_value(fn, args, kwargs)

    def op_LOAD_ATTR(self, f: Frame, arg: int) -> None:
        s = f.stack
        s[-1] = self.get_attr(s[-1], f.code.names[arg])

    def get_attr(self, obj: Any, name: str) -> Any:
        try:
            found, value = vm_attribute(obj, name)
            if found:
                return value
            return get_attribute(obj, name)
        except FlowRaise:
            raise
        except Exception as exc:
            raise FlowRaise(from_python(exc)) from None

    def op_FORMAT_VALUE(self, f: Frame, arg: int) -> None:
        s = f.stack
        spec = s.pop() if arg & 4 else ""
        value = s[-1]
        try:
            conversion = _CONVERT[arg & 3]
            if conversion is not None:
                value = conversion(value)
            s[-1] = format_value(value, spec, self)  # type: ignore[arg-type]
        except FlowRaise:
            raise
        except Exception as exc:
            raise FlowRaise(from_python(exc)) from None

    def op_IMPORT_NAME(self, f: Frame, arg: int) -> None:
        name = f.code.names[arg]
        if name not in STANDARD_MODULES:
            raise error("NameError", f"no module named '{name}'")
        f.stack.append(Module(name))

    def op_IMPORT_FROM(self, f: Frame, arg: int) -> None:
        module: Module = f.stack[-1]
        name = f.code.names[arg]
        try:
            f.stack.append(MODULES[module.name][name])
        except KeyError:
            raise error("NameError", f"cannot import name '{name}' from '{module.name}'") from None

    def op_AWAIT(self, f: Frame, arg: int) -> None:
        x = f.stack.pop()
        t = type(x)
        if t is CallbackEvent:
            self.begin_wait(Wait("request", [x.id], "callback", "callback"))
        elif t is TaskHandle:
            self.begin_wait(Wait("request", [x.id], "child", "task"))
        else:
            raise error("TypeError", f"object {type_name(x)} can't be used in 'await' expression")
