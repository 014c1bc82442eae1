"""The Flowmetal virtual machine and the Task API its hosts use.

    from flowmetal.vm import Task, Limits, Host, run_pure

run_pure returns the final StepResult; run_value returns the program's
result or raises ProgramFailed carrying the Flowmetal exception (for test
harnesses that compare with CPython). flowmetal.vm.testing.Driver drives a
Task by hand, message by message.

Where Flowmetal differs from Python (all for the sake of snapshots: a
task's state must be plain data between any two instructions):

* a generator expression is evaluated eagerly, to an iterator over a
  finished list: side effects of its body happen where it is written;
* iterators are (sequence, position) pairs; a loop over a dict or set
  copies its keys when it starts (and still fails, as Python does, if the
  dict or set changes size during the loop);
* a Flowmetal function called back from a builtin (sorted's key=, map)
  runs to completion and may not wait for a request;
* `with` accepts only the context managers of flow.time: timeout() and
  forever(); anything else is a TypeError, as in Python.
"""

from flowmetal.vm.limits import Limits
from flowmetal.vm.pure import ProgramFailed, run_pure, run_value
from flowmetal.vm.task import DefaultHost, Host, Task

__all__ = ["DefaultHost", "Host", "Limits", "ProgramFailed", "Task", "run_pure", "run_value"]
