"""The tasks of a local run: the VM's Task behind a small interface, and the Host it is given.

The runner (flowmetal/runner.py) needs of a task only `step(message)` and
`status`; `vm_task_factory` makes real ones, and tests pass a factory of
fakes. With `snapshot_each_step` every task is stored and restored after
each of its steps, which is what running through Kafka does to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from flowmetal.protocol import Message, StepResult
from flowmetal.runner_callbacks import CallbackListener
from flowmetal.vm.task import DefaultHost


class LocalTask(Protocol):
    """What the runner needs of a task: flowmetal.vm.Task has it."""

    status: str

    def step(self, message: Message) -> StepResult: ...


# task_factory(program, task_id, entry, args, kwargs, parent, parent_request, host) -> task
TaskFactory = Callable[..., LocalTask]


class LocalHost(DefaultHost):
    """The VM's Host for local runs: this run's callback URLs."""

    def __init__(self, listener: CallbackListener) -> None:
        self._listener = listener

    def callback_url(self, task_id: str, callback_id: str) -> str:
        return self._listener.url(task_id, callback_id)


def vm_task_factory(limits: Any, snapshot_each_step: bool) -> TaskFactory:
    from flowmetal.vm import Limits, Task

    lim = limits if limits is not None else Limits()

    def new(program, task_id, entry, args, kwargs, parent, parent_request, host):  # type: ignore[no-untyped-def]
        task = Task.new(
            program, task_id, entry=entry, args=list(args), kwargs=dict(kwargs),
            parent=parent, parent_request=parent_request, limits=lim, host=host,
        )  # fmt: skip
        return _Roundtrip(task, program, lim, host) if snapshot_each_step else task

    return new


class _Roundtrip:
    """A task stored and restored after every step: the durability a local run otherwise skips."""

    def __init__(self, task: Any, program: Any, limits: Any, host: Any) -> None:
        self._task = task
        self._program, self._limits, self._host = program, limits, host

    @property
    def status(self) -> str:
        return str(self._task.status)

    def step(self, message: Message) -> StepResult:
        from flowmetal.vm import Task

        result = self._task.step(message)
        data = self._task.snapshot()
        self._task = Task.restore(data, self._program, limits=self._limits, host=self._host)
        if self._task.status != result.status:
            raise AssertionError(f"status {result.status!r} came back as {self._task.status!r}")
        return result
