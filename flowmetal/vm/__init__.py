"""The Flowmetal virtual machine and the Task API its hosts use.

from flowmetal.vm import Task, Limits, Host, run_pure
"""

from flowmetal.vm.limits import Limits
from flowmetal.vm.pure import run_pure
from flowmetal.vm.task import DefaultHost, Host, Task

__all__ = ["DefaultHost", "Host", "Limits", "Task", "run_pure"]
