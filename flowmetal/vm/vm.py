"""The VM class: the machine, its opcode groups and the effect state, assembled.

`DISPATCH` — opcode number to the method that runs it — is built here once,
from the opcode table, so a missing opcode method fails at import time.
"""

from __future__ import annotations

from flowmetal.compile.code import Program
from flowmetal.compile.opcodes import OPNAMES
from flowmetal.vm.effects import EffectState
from flowmetal.vm.limits import Limits
from flowmetal.vm.ops_call import CallOps
from flowmetal.vm.ops_data import DataOps
from flowmetal.vm.ops_flow import FlowOps


class VM(DataOps, FlowOps, CallOps, EffectState):
    """One task's machine: frames, globals, effect state."""

    def __init__(self, program: Program, limits: Limits, task_id: str) -> None:
        super().__init__(program, limits)
        self.init_effects(task_id)


VM.DISPATCH = [getattr(VM, "op_" + name) for name in OPNAMES]
