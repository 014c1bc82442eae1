"""Loading `--connector KIND=module:attr` and serving requests with connector objects."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flowmetal.protocol import Request
from flowmetal.runner_connectors import ConnectorSpecError, call_connector, load_connector

MODULE = """
import asyncio

class Upper:
    kind = "upper"
    async def handle(self, request):
        return request.payload.upper()

class Slow:
    kind = "slow"
    async def handle(self, request):
        await asyncio.sleep(5)

class Typed(Exception):
    error_type = "ConnectorError"

class Failing:
    kind = "failing"
    async def handle(self, request):
        raise Typed("the backend said no")

class Tuple:
    kind = "tuple"
    async def handle(self, request):
        return (1, 2)

class Weird:
    kind = "weird"
    async def handle(self, request):
        return object()

instance = Upper()
nothing = 42
"""


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    (tmp_path / "fm_test_conns.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "fm_test_conns"
    sys.modules.pop("fm_test_conns", None)


def serve(connector: Any, payload: Any = None, timeout: float | None = None) -> Any:
    request = Request("t.1", "t", connector.kind, payload, timeout)
    return asyncio.run(call_connector(connector, request))


def test_class_is_instantiated_and_kind_comes_from_spec_or_object(module: str) -> None:
    kind, obj = load_connector(f"shout={module}:Upper")
    assert kind == "shout" and type(obj).__name__ == "Upper"
    kind, obj = load_connector(f"{module}:instance")
    assert kind == "upper"
    assert serve(obj, "hi") == {"ok": True, "value": "HI"}


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("echo=nomodule", "KIND=module:attr"),
        ("echo=no_such_module_xyz:Thing", "cannot import"),
        ("echo={m}:Missing", "has no Missing"),
        ("echo={m}:nothing", "no handle(request) method"),
    ],
)
def test_bad_specs_say_what_is_wrong(module: str, spec: str, says: str) -> None:
    with pytest.raises(ConnectorSpecError, match=re.escape(says)):
        load_connector(spec.format(m=module))


def test_errors_timeouts_and_values(module: str) -> None:
    _, failing = load_connector(f"{module}:Failing")
    assert serve(failing) == {
        "ok": False,
        "error": {"type": "ConnectorError", "message": "the backend said no"},
    }
    _, slow = load_connector(f"{module}:Slow")
    answer = serve(slow, timeout=0.05)
    assert answer["ok"] is False and answer["error"]["type"] == "Timeout"
    _, tup = load_connector(f"{module}:Tuple")
    assert serve(tup) == {"ok": True, "value": [1, 2]}
    _, weird = load_connector(f"{module}:Weird")
    answer = serve(weird)
    assert answer["ok"] is False and "not JSON" in answer["error"]["message"]
