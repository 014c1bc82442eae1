"""`flowmetal tasks show|history` for a task id nobody started: a clear message, exit 1."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

pytestmark = pytest.mark.kafka


@pytest.fixture
def prefix(kafka: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """The topic prefix of fresh, empty topics the CLI is pointed at."""
    settings = kafka.settings("cli-unknown")
    monkeypatch.setenv("FLOWMETAL_BOOTSTRAP", settings.bootstrap)
    monkeypatch.setenv("FLOWMETAL_TOPIC_PREFIX", settings.topic_prefix)
    monkeypatch.setenv("FLOWMETAL_PARTITIONS", str(settings.partitions))
    return settings.topic_prefix


@pytest.mark.parametrize(
    ("command", "topic"), [("show", "state"), ("history", "history")], ids=["show", "history"]
)
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_unknown_task_id(prefix: str, command: str, topic: str, as_json: bool) -> None:
    from flowmetal.cli import app

    args = ["tasks", command, "no-such-task", *(["--json"] if as_json else [])]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""  # nothing a script could mistake for an answer
    assert result.stderr.strip() == (
        f"error: unknown task id 'no-such-task': {prefix}{topic} holds no "
        f"{'state' if command == 'show' else 'events'} for it"
    )
