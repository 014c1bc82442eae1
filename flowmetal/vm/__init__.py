"""The Flowmetal virtual machine and the Task API its hosts use.

from flowmetal.vm import Task, Limits, Host, run_pure
"""

from flowmetal.vm.limits import Limits
from flowmetal.vm.pure import ProgramFailed, run_pure, run_value
from flowmetal.vm.task import DefaultHost, Host, Task

__all__ = ["DefaultHost", "Host", "Limits", "ProgramFailed", "Task", "run_pure", "run_value"]
