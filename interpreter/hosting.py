"""What the interpreter gives the VM and the engine: the Host, limits, and compiled programs.

- `ServiceHost` is the VM's Host (flowmetal.vm.Host): the wall clock, and
  callback URLs signed with the deployment's secret (flowmetal/callbacks.py)
  that the HTTP server connector serves.
- `Programs` wraps the program store's `ProgramTable`: compiled versions
  (compiled once per version) and the latest version of a name, which a
  spawn of another program pins.
- `limits_from_env` reads the VM limits of the service from the environment.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flowmetal.callbacks import callback_url
from flowmetal.config import Settings
from flowmetal.errors import ServiceError
from flowmetal.vm.task import DefaultHost

log = logging.getLogger(__name__)


class ServiceHost(DefaultHost):
    """The VM's Host in the interpreter service: callback URLs of the HTTP server connector."""

    def __init__(self, settings: Settings) -> None:
        self._base_url = settings.callback_base_url
        self._secret = settings.callback_secret

    def callback_url(self, task_id: str, callback_id: str) -> str:
        return callback_url(self._base_url, self._secret, task_id, callback_id)


class Programs:
    """Compiled program versions from the program store (the `programs` topic)."""

    def __init__(self, table: Any) -> None:
        self.table = table  # flowmetal.programs.ProgramTable, or a test double with the same API

    def compiled(self, name: str, version: str | None = None) -> Any:
        """The compiled Program; raises ProgramNotFound (or a compile error) when it cannot."""
        return self.table.compiled(name, version)

    def latest_version(self, name: str) -> str:
        """The latest version of `name`, or "" when the store has none (the child then fails)."""
        try:
            return str(self.table.get_record(name).version)
        except ServiceError as exc:
            log.warning("spawn of unknown program %r: %s", name, exc)
            return ""

    def close(self) -> None:
        close = getattr(self.table, "close", None)
        if close is not None:
            close()


# Limits the operator may set; names are Limits' fields (flowmetal.vm.Limits).
_LIMIT_ENV = {
    "fuel": "FLOWMETAL_FUEL",
    "max_depth": "FLOWMETAL_MAX_DEPTH",
    "max_collection": "FLOWMETAL_MAX_COLLECTION",
    "max_snapshot": "FLOWMETAL_MAX_SNAPSHOT",
}


def limits_from_env(env: Mapping[str, str] | None = None, **overrides: int) -> Any:
    """flowmetal.vm.Limits from FLOWMETAL_FUEL, _MAX_DEPTH, _MAX_COLLECTION, _MAX_SNAPSHOT."""
    from flowmetal.vm import Limits

    env = os.environ if env is None else env
    values: dict[str, int] = {}
    for name, var in _LIMIT_ENV.items():
        raw = env.get(var)
        if raw:
            try:
                values[name] = int(raw)
            except ValueError:
                raise ServiceError(f"{var} must be a whole number, not {raw!r}") from None
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Limits(**values)
