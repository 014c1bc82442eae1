"""Opcodes for control flow: jumps, loops and iterators, returns, exceptions, `with`.

Iterators are `SeqIter`s — a sequence and a position — so a task can be
snapshotted in the middle of a loop; `builtins.to_iter` makes them, for
loops as for `iter()`. Generator expressions arrive here as iterators over
items already computed (compile/exprs.py).
"""

from __future__ import annotations

from typing import Any

from flowmetal.compile.opcodes import BLOCK_EXCEPT, BLOCK_EXCEPT_HANDLER, BLOCK_FINALLY
from flowmetal.vm.builtins import to_iter, type_name
from flowmetal.vm.exceptions import EXC_TYPES, from_python, is_instance, to_exc_value
from flowmetal.vm.frame import Frame
from flowmetal.vm.machine import FlowRaise, Machine, _Returned, error
from flowmetal.vm.objects import ForeverCM, SeqIter, TimeoutCM, length
from flowmetal.vm.values import ExcValue


class FlowOps(Machine):
    # -- jumps --------------------------------------------------------------------------

    def op_JUMP(self, f: Frame, arg: int) -> None:
        f.pc = arg

    def op_POP_JUMP_IF_FALSE(self, f: Frame, arg: int) -> None:
        if not f.stack.pop():
            f.pc = arg

    def op_POP_JUMP_IF_TRUE(self, f: Frame, arg: int) -> None:
        if f.stack.pop():
            f.pc = arg

    def op_JUMP_IF_FALSE_OR_POP(self, f: Frame, arg: int) -> None:
        if not f.stack[-1]:
            f.pc = arg
        else:
            f.stack.pop()

    def op_JUMP_IF_TRUE_OR_POP(self, f: Frame, arg: int) -> None:
        if f.stack[-1]:
            f.pc = arg
        else:
            f.stack.pop()

    # -- loops --------------------------------------------------------------------------

    def op_GET_ITER(self, f: Frame, arg: int) -> None:
        try:
            f.stack[-1] = to_iter(f.stack[-1])
        except TypeError as exc:
            raise FlowRaise(from_python(exc)) from None

    def op_FOR_ITER(self, f: Frame, arg: int) -> None:
        it: SeqIter = f.stack[-1]
        if it.watch is not None:
            try:
                it.check()
            except RuntimeError as exc:
                raise FlowRaise(from_python(exc)) from None
        i = it.index
        seq = it.seq
        try:
            more = i < len(seq)
        except OverflowError:  # a range longer than sys.maxsize
            more = i < length(seq)
        if more:
            it.index = i + 1
            f.stack.append(seq[i])
        else:
            f.stack.pop()
            f.pc = arg

    # -- returns ------------------------------------------------------------------------

    def op_RETURN_VALUE(self, f: Frame, arg: int) -> None:
        self._return(f.stack.pop())

    def op_SAVE_RETURN(self, f: Frame, arg: int) -> None:
        f.retval = f.stack.pop()

    def op_RETURN_SAVED(self, f: Frame, arg: int) -> None:
        self._return(f.retval)

    def _return(self, value: Any) -> None:
        frames = self.frames
        frames.pop()
        if len(frames) == self.base:
            raise _Returned(value)
        frames[-1].stack.append(value)

    # -- exceptions ---------------------------------------------------------------------

    def op_SETUP_EXCEPT(self, f: Frame, arg: int) -> None:
        f.blocks.append((BLOCK_EXCEPT, arg, len(f.stack), None))

    def op_SETUP_FINALLY(self, f: Frame, arg: int) -> None:
        f.blocks.append((BLOCK_FINALLY, arg, len(f.stack), None))

    def op_POP_BLOCK(self, f: Frame, arg: int) -> None:
        f.blocks.pop()

    def op_POP_EXCEPT(self, f: Frame, arg: int) -> None:
        block = f.blocks.pop()
        assert block[0] == BLOCK_EXCEPT_HANDLER, "POP_EXCEPT outside an except body"

    def op_CHECK_EXC_MATCH(self, f: Frame, arg: int) -> None:
        s = f.stack
        t = s.pop()
        try:
            s[-1] = is_instance(s[-1], t)
        except Exception as exc:
            raise FlowRaise(from_python(exc)) from None

    def op_RAISE(self, f: Frame, arg: int) -> None:
        s = f.stack
        if arg == 0:
            current = self.handled_exception()
            if current is None:
                raise error("RuntimeError", "No active exception to reraise")
            raise FlowRaise(current, fresh=False)
        cause = s.pop() if arg == 2 else None
        try:
            exc = to_exc_value(s.pop())
        except Exception as err:
            raise FlowRaise(from_python(err)) from None
        if arg == 2:
            # `raise X from Y` / `raise X from None`, as in Python: Y becomes
            # __cause__ and the context (still recorded) is no longer shown.
            if cause is not None:
                try:
                    cause = to_exc_value(cause)
                except TypeError:
                    raise error(
                        "TypeError", "exception causes must derive from BaseException"
                    ) from None
            exc.cause = cause
            exc.suppress_context = True
        raise FlowRaise(exc)

    def op_RERAISE(self, f: Frame, arg: int) -> None:
        exc: ExcValue = f.stack.pop()
        raise FlowRaise(exc, fresh=False)

    def op_LOAD_ASSERTION_ERROR(self, f: Frame, arg: int) -> None:
        f.stack.append(EXC_TYPES["AssertionError"])

    # -- with ---------------------------------------------------------------------------

    def op_WITH_ENTER(self, f: Frame, arg: int) -> None:
        cm = f.stack[-1]
        if type(cm) is TimeoutCM:
            self.enter_timeout(cm)
        elif type(cm) is not ForeverCM:
            raise error(
                "TypeError",
                f"'{type_name(cm)}' object does not support the context manager protocol",
            )
        f.stack.append(cm)

    def op_WITH_EXIT(self, f: Frame, arg: int) -> None:
        cm = f.stack.pop()
        if type(cm) is TimeoutCM:
            self.exit_timeout(cm)
