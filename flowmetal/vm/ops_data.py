"""Opcodes for the stack, variables, operators and containers.

Operators apply Python's own operators to plain values, so their semantics
(big ints, floor division and modulo signs, float repr, comparisons) are
Python's by construction. Native errors become Flowmetal exceptions at the
current line. Operations that can grow a value without bound (`+` and `*` on
sequences, `**` and `<<` on ints, container building) are checked against the
task's size limit first, so a program cannot exhaust the host's memory.
"""

from __future__ import annotations

import itertools
import operator
from typing import Any

from flowmetal.compile.opcodes import BINARY_OPS, COMPARE_OPS
from flowmetal.vm.builtins import COMPLEX_POWER, DICT_VIEWS, bounded, type_name
from flowmetal.vm.exceptions import from_python
from flowmetal.vm.frame import Frame
from flowmetal.vm.machine import FlowRaise, Machine, error
from flowmetal.vm.methods import not_over_itself, percent_format
from flowmetal.vm.objects import UNBOUND, Cell, Function, SeqIter, check_pending, pending_count

_BINARY = [
    operator.add,
    operator.sub,
    operator.mul,
    operator.truediv,
    operator.floordiv,
    operator.mod,
    operator.pow,
    operator.lshift,
    operator.rshift,
    operator.and_,
    operator.or_,
    operator.xor,
    operator.matmul,
]
_INPLACE = [
    operator.iadd,
    operator.isub,
    operator.imul,
    operator.itruediv,
    operator.ifloordiv,
    operator.imod,
    operator.ipow,
    operator.ilshift,
    operator.irshift,
    operator.iand,
    operator.ior,
    operator.ixor,
    operator.imatmul,
]
_ADD, _MUL, _MOD, _POW, _LSHIFT = (BINARY_OPS.index(s) for s in ("+", "*", "%", "**", "<<"))
_SIZED = (str, list, tuple)
_SIZED_TYPES = frozenset(_SIZED)
_GUARDED = frozenset({_MUL, _POW, _LSHIFT})  # the operators that can blow a value up
# A dict view's operators accept any iterable, walking it: a range must be checked first.
_IN, _NOT_IN = COMPARE_OPS.index("in"), COMPARE_OPS.index("not in")
_MEMBERSHIP = frozenset({_IN, _NOT_IN})
_SET_OPS = frozenset(BINARY_OPS.index(s) for s in ("&", "|", "-", "^"))
_VIEWS = frozenset(DICT_VIEWS)


def _contains(a: Any, b: Any) -> bool:
    if type(b) is range and type(a) is not int and type(a) is not bool:
        return _in_range(a, b)
    return a in b  # an iterator is walked: COMPARE checks an unbounded one first


def _not_contains(a: Any, b: Any) -> bool:
    return not _contains(a, b)


def _in_range(x: Any, r: range) -> bool:
    """`x in r` for a non-int `x`, in constant time.

    Python finds an int in a range arithmetically but walks the range for
    anything else (`"a" in range(10**9)` would run for minutes inside one
    instruction). Among Flowmetal's values only a float can equal an int, so
    the walk's answer is known without it: an integral float is looked up as
    that int, anything else is in no range.
    """
    if type(x) is float:
        return x.is_integer() and int(x) in r
    return False


_COMPARE = [
    operator.lt,
    operator.le,
    operator.eq,
    operator.ne,
    operator.gt,
    operator.ge,
    _contains,
    _not_contains,
    operator.is_,
    operator.is_not,
]
_UNARY: list[Any] = [operator.neg, operator.pos, operator.not_, operator.invert]


class DataOps(Machine):
    # -- stack --------------------------------------------------------------------------

    def op_NOP(self, f: Frame, arg: int) -> None:
        pass

    def op_POP_TOP(self, f: Frame, arg: int) -> None:
        f.stack.pop()

    def op_DUP_TOP(self, f: Frame, arg: int) -> None:
        f.stack.append(f.stack[-1])

    def op_DUP_TOP_TWO(self, f: Frame, arg: int) -> None:
        f.stack.extend(f.stack[-2:])

    def op_ROT_TWO(self, f: Frame, arg: int) -> None:
        s = f.stack
        s[-1], s[-2] = s[-2], s[-1]

    def op_ROT_THREE(self, f: Frame, arg: int) -> None:
        s = f.stack
        s[-1], s[-2], s[-3] = s[-2], s[-3], s[-1]

    def op_LOAD_CONST(self, f: Frame, arg: int) -> None:
        f.stack.append(f.code.consts[arg])

    # -- variables ----------------------------------------------------------------------

    def op_LOAD_FAST(self, f: Frame, arg: int) -> None:
        value = f.locals[arg]
        if value is UNBOUND:
            name = f.code.varnames[arg]
            raise error(
                "UnboundLocalError",
                f"cannot access local variable '{name}' where it is not associated with a value",
            )
        f.stack.append(value)

    def op_STORE_FAST(self, f: Frame, arg: int) -> None:
        f.locals[arg] = f.stack.pop()

    def op_DELETE_FAST(self, f: Frame, arg: int) -> None:
        if f.locals[arg] is UNBOUND:
            name = f.code.varnames[arg]
            raise error(
                "UnboundLocalError",
                f"cannot access local variable '{name}' where it is not associated with a value",
            )
        f.locals[arg] = UNBOUND

    def _cell_name(self, f: Frame, arg: int) -> str:
        code = f.code
        return (code.cellvars + code.freevars)[arg]

    def _unbound_cell(self, f: Frame, arg: int) -> FlowRaise:
        name = self._cell_name(f, arg)
        if arg >= len(f.code.cellvars):
            return error(
                "NameError",
                f"cannot access free variable '{name}' where it is not associated with a value "
                "in enclosing scope",
            )
        return error(
            "UnboundLocalError",
            f"cannot access local variable '{name}' where it is not associated with a value",
        )

    def op_LOAD_DEREF(self, f: Frame, arg: int) -> None:
        value = f.cells[arg].value
        if value is UNBOUND:
            raise self._unbound_cell(f, arg)
        f.stack.append(value)

    def op_STORE_DEREF(self, f: Frame, arg: int) -> None:
        f.cells[arg].value = f.stack.pop()

    def op_DELETE_DEREF(self, f: Frame, arg: int) -> None:
        cell = f.cells[arg]
        if cell.value is UNBOUND:
            raise self._unbound_cell(f, arg)
        cell.value = UNBOUND

    def op_LOAD_CLOSURE(self, f: Frame, arg: int) -> None:
        f.stack.append(f.cells[arg])

    def op_LOAD_GLOBAL(self, f: Frame, arg: int) -> None:
        f.stack.append(self.lookup_global(f.code.names[arg]))

    def op_STORE_GLOBAL(self, f: Frame, arg: int) -> None:
        self.globals[f.code.names[arg]] = f.stack.pop()

    def op_DELETE_GLOBAL(self, f: Frame, arg: int) -> None:
        name = f.code.names[arg]
        if self.globals.pop(name, UNBOUND) is UNBOUND:
            raise error("NameError", f"name '{name}' is not defined")

    def op_MAKE_FUNCTION(self, f: Frame, arg: int) -> None:
        s = f.stack
        closure: tuple[Cell, ...] = s.pop()
        kwdefaults = s.pop()
        defaults = s.pop()
        code = self.codes[arg]
        s.append(Function(arg, code.name, code.qualname, defaults, kwdefaults, closure))

    # -- operators ----------------------------------------------------------------------

    def op_UNARY(self, f: Frame, arg: int) -> None:
        s = f.stack
        try:
            s[-1] = _UNARY[arg](s[-1])
        except Exception as exc:
            raise FlowRaise(from_python(exc)) from None

    def op_BINARY(self, f: Frame, arg: int) -> None:
        s = f.stack
        b = s.pop()
        a = s[-1]
        if arg in _GUARDED:
            self._guard(arg, a, b)
        elif arg in _SET_OPS and (type(a) in _VIEWS or type(b) in _VIEWS):
            self._check_pending(a, b)  # a view's `|`, `-`, ... walk any iterable
        elif arg == _MOD and type(a) is str:
            try:
                s[-1] = percent_format(self, a, b)  # type: ignore[arg-type]
            except Exception as exc:
                raise FlowRaise(from_python(exc)) from None
            return
        try:
            r = _BINARY[arg](a, b)
        except Exception as exc:
            raise FlowRaise(from_python(exc)) from None
        if arg == _ADD and type(r) in _SIZED_TYPES and len(r) > self.limits.max_collection:
            self.check_size(r)
        elif type(r) is complex:  # (-8) ** 0.5: Flowmetal has no complex numbers, as pow()
            raise error("ValueError", COMPLEX_POWER)
        s[-1] = r

    def op_INPLACE(self, f: Frame, arg: int) -> None:
        s = f.stack
        b = s.pop()
        a = s[-1]
        if arg in _GUARDED:
            self._guard(arg, a, b)
        elif arg in _SET_OPS and (type(a) in _VIEWS or type(b) in _VIEWS):
            self._check_pending(a, b)
        elif arg == _MOD and type(a) is str:
            s.append(b)
            self.op_BINARY(f, arg)
            return
        elif arg == _ADD and type(a) is list:
            b = not_over_itself(a, b)
            n = len(b) if hasattr(b, "__len__") else pending_count(b)
            if n is not None and len(a) + n > self.limits.max_collection:
                self.check_count(len(a) + n, type_name(a))
        try:
            r = _INPLACE[arg](a, b)
        except Exception as exc:
            raise FlowRaise(from_python(exc)) from None
        if arg == _ADD and type(r) in _SIZED_TYPES and len(r) > self.limits.max_collection:
            self.check_size(r)
        elif type(r) is complex:
            raise error("ValueError", COMPLEX_POWER)
        s[-1] = r

    def _check_pending(self, *values: Any) -> None:
        """Refuse, before native code walks it, a range or an iterator over one past the
        size limit (their items do not exist yet: nothing else bounds the work)."""
        for value in values:
            check_pending(self, value)

    def _guard(self, arg: int, a: Any, b: Any) -> None:
        """Refuse, before computing it, a result past the size limit."""
        if arg == _MUL:
            if isinstance(a, _SIZED) and type(b) is int:
                seq, n = a, b
            elif isinstance(b, _SIZED) and type(a) is int:
                seq, n = b, a
            else:
                if type(a) is int and type(b) is int:
                    if a.bit_length() + b.bit_length() > self.max_int_bits:
                        raise error("LimitExceeded", "integer result is too large")
                return
            if len(seq) * n > self.limits.max_collection:
                unit = "characters" if type(seq) is str else "elements"
                self.check_count(len(seq) * n, "result", unit)
        elif arg == _POW:
            if type(a) is int and type(b) is int and b > 0 and abs(a) > 1:
                if a.bit_length() * b > self.max_int_bits:
                    raise error("LimitExceeded", "integer result is too large")
        elif arg == _LSHIFT:
            if type(a) is int and type(b) is int and a and b > self.max_int_bits:
                raise error("LimitExceeded", "integer result is too large")

    def op_COMPARE(self, f: Frame, arg: int) -> None:
        s = f.stack
        b = s.pop()
        try:
            if type(b) is SeqIter and arg in _MEMBERSHIP:  # walks the iterator: bound it
                found = any(x is s[-1] or x == s[-1] for x in bounded(self, b))
                s[-1] = found if arg == _IN else not found
                return
            s[-1] = _COMPARE[arg](s[-1], b)
        except FlowRaise:
            raise
        except Exception as exc:
            raise FlowRaise(from_python(exc)) from None

    # -- containers ---------------------------------------------------------------------

    def _pop_n(self, f: Frame, n: int) -> list[Any]:
        if not n:
            return []
        s = f.stack
        items = s[-n:]
        del s[-n:]
        return items

    def op_BUILD_LIST(self, f: Frame, arg: int) -> None:
        f.stack.append(self._pop_n(f, arg))

    def op_BUILD_TUPLE(self, f: Frame, arg: int) -> None:
        f.stack.append(tuple(self._pop_n(f, arg)))

    def op_BUILD_SET(self, f: Frame, arg: int) -> None:
        items = self._pop_n(f, arg)
        try:
            f.stack.append(set(items))
        except Exception as exc:
            raise FlowRaise(from_python(exc)) from None

    def op_BUILD_MAP(self, f: Frame, arg: int) -> None:
        items = self._pop_n(f, 2 * arg)
        try:
            f.stack.append({items[i]: items[i + 1] for i in range(0, len(items), 2)})
        except Exception as exc:
            raise FlowRaise(from_python(exc)) from None

    def op_BUILD_STRING(self, f: Frame, arg: int) -> None:
        text = "".join(self._pop_n(f, arg))
        if len(text) > self.limits.max_collection:
            self.check_size(text)
        f.stack.append(text)

    def op_BUILD_SLICE(self, f: Frame, arg: int) -> None:
        f.stack.append(slice(*self._pop_n(f, arg)))

    def op_LIST_APPEND(self, f: Frame, arg: int) -> None:
        s = f.stack
        x = s.pop()
        target = s[-arg]
        target.append(x)
        if len(target) > self.limits.max_collection:
            self.check_size(target)

    def op_SET_ADD(self, f: Frame, arg: int) -> None:
        s = f.stack
        x = s.pop()
        target = s[-arg]
        try:
            target.add(x)
        except Exception as exc:
            raise FlowRaise(from_python(exc)) from None
        if len(target) > self.limits.max_collection:
            self.check_size(target)

    def op_MAP_ADD(self, f: Frame, arg: int) -> None:
        s = f.stack
        v = s.pop()
        k = s.pop()
        target = s[-arg]
        try:
            target[k] = v
        except Exception as exc:
            raise FlowRaise(from_python(exc)) from None
        if len(target) > self.limits.max_collection:
            self.check_size(target)

    def _extend(self, f: Frame, arg: int, how: str) -> None:
        s = f.stack
        it = s.pop()
        target = s[-arg]
        self._check_pending(it)
        try:
            if how == "list":
                target.extend(it)
            elif how == "set":
                target.update(it)
            else:
                if not isinstance(it, dict):
                    raise TypeError(f"'{type(it).__name__}' object is not a mapping")
                if how == "merge":
                    for key in it:
                        if key in target:
                            raise TypeError(f"got multiple values for keyword argument '{key}'")
                target.update(it)
        except Exception as exc:
            raise FlowRaise(from_python(exc)) from None
        if len(target) > self.limits.max_collection:
            self.check_size(target)

    def op_LIST_EXTEND(self, f: Frame, arg: int) -> None:
        self._extend(f, arg, "list")

    def op_SET_UPDATE(self, f: Frame, arg: int) -> None:
        self._extend(f, arg, "set")

    def op_DICT_UPDATE(self, f: Frame, arg: int) -> None:
        self._extend(f, arg, "dict")

    def op_DICT_MERGE(self, f: Frame, arg: int) -> None:
        self._extend(f, arg, "merge")

    def op_LIST_TO_TUPLE(self, f: Frame, arg: int) -> None:
        f.stack[-1] = tuple(f.stack[-1])

    def op_BINARY_SUBSCR(self, f: Frame, arg: int) -> None:
        s = f.stack
        key = s.pop()
        try:
            s[-1] = s[-1][key]
        except Exception as exc:
            raise FlowRaise(from_python(exc)) from None

    def op_STORE_SUBSCR(self, f: Frame, arg: int) -> None:
        s = f.stack
        key = s.pop()
        obj = s.pop()
        value = s.pop()
        try:
            obj[key] = value
        except Exception as exc:
            raise FlowRaise(from_python(exc)) from None
        if type(obj) is dict or type(obj) is list:
            if len(obj) > self.limits.max_collection:
                self.check_size(obj)

    def op_DELETE_SUBSCR(self, f: Frame, arg: int) -> None:
        s = f.stack
        key = s.pop()
        obj = s.pop()
        try:
            del obj[key]
        except Exception as exc:
            raise FlowRaise(from_python(exc)) from None

    def _items(self, seq: Any) -> list[Any] | tuple[Any, ...]:
        t = type(seq)
        if t is list or t is tuple:
            return seq  # type: ignore[no-any-return]
        try:
            return list(seq)
        except TypeError:
            raise error(
                "TypeError", f"cannot unpack non-iterable {type_name(seq)} object"
            ) from None
        except Exception as exc:
            raise FlowRaise(from_python(exc)) from None

    def op_UNPACK_SEQUENCE(self, f: Frame, arg: int) -> None:
        seq = f.stack.pop()
        if type(seq) is SeqIter or type(seq) is range:
            # As Python: take one more than needed and stop, however long the rest is.
            try:
                seq = list(itertools.islice(seq, arg + 1))
            except Exception as exc:
                raise FlowRaise(from_python(exc)) from None
        items = self._items(seq)
        if len(items) != arg:
            if len(items) > arg:
                raise error("ValueError", f"too many values to unpack (expected {arg})")
            raise error(
                "ValueError", f"not enough values to unpack (expected {arg}, got {len(items)})"
            )
        f.stack.extend(reversed(items))

    def op_UNPACK_EX(self, f: Frame, arg: int) -> None:
        before, after = arg & 0xFF, arg >> 8
        seq = f.stack.pop()
        self._check_pending(seq)
        items = list(self._items(seq))
        if len(items) < before + after:
            raise error(
                "ValueError",
                f"not enough values to unpack (expected at least {before + after}, got {len(items)})",
            )
        rest = items[before : len(items) - after]
        targets = items[:before] + [rest] + items[len(items) - after :]
        f.stack.extend(reversed(targets))
