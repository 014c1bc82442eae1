"""The program store against the real broker: push, list, get, and nothing on a compile error."""

from __future__ import annotations

import re
import time

import pytest
from typer.testing import CliRunner

from flowmetal.errors import FlowSyntaxError
from flowmetal.kafka import consumer_config
from flowmetal.programs import (
    ProgramNotFound,
    ProgramStore,
    ProgramTable,
    list_programs,
    push,
    version_of,
)

pytestmark = pytest.mark.kafka

V1 = "def main(x):\n    return x + 1\n"
V2 = "def main(x):\n    return x + 2\n"
BROKEN = "def main(x):\n    return x + * 2\n"


def _end_offset(settings) -> int:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(consumer_config(settings, "watermarks"))
    try:
        tp = TopicPartition(settings.topic("programs"), 0)
        return consumer.get_watermark_offsets(tp, timeout=10)[1]
    finally:
        consumer.close()


def test_push_get_list_round_trip(kafka):
    settings = kafka.settings("programs")
    assert push(settings, V1, "jobs/inc.flow") == ("inc", version_of(V1))
    assert ProgramStore.push(settings, V2, "jobs/inc.flow") == ("inc", version_of(V2))
    assert push(settings, V1, "other.flow", name="plus-one") == ("plus-one", version_of(V1))

    with ProgramTable(settings) as table:
        assert table.refresh() == 6  # two records per push
        assert table.get("inc") == (version_of(V2), V2, "jobs/inc.flow")
        assert table.get("inc", version_of(V1)) == (version_of(V1), V1, "jobs/inc.flow")
        assert table.get("plus-one")[1] == V1
        with pytest.raises(ProgramNotFound, match="'nope'"):
            table.get("nope")
        with pytest.raises(ProgramNotFound, match="version"):
            table.get("inc", "f" * 64)
        assert table.compiled("inc").version == version_of(V2)

    infos = {i.name: i for i in list_programs(settings)}
    assert sorted(infos) == ["inc", "plus-one"]
    assert infos["inc"].latest == version_of(V2)
    assert set(infos["inc"].versions) == {version_of(V1), version_of(V2)}


def test_compile_error_produces_nothing(kafka):
    settings = kafka.settings("broken")
    with pytest.raises(FlowSyntaxError) as info:
        push(settings, BROKEN, "broken.flow")
    assert info.value.filename == "broken.flow" and info.value.line == 2
    assert _end_offset(settings) == 0
    assert list_programs(settings) == []


def test_table_finds_a_version_pushed_after_it_started(kafka):
    settings = kafka.settings("follow")
    table = ProgramTable(settings).start(interval=0.1)
    try:
        push(settings, V1, "inc.flow")
        deadline = time.monotonic() + 10
        while table.programs() == [] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [p.name for p in table.programs()] == ["inc"]
        # a miss refreshes on its own, without waiting for the thread
        name, version = push(settings, V2, "inc2.flow")
        assert table.get(name, version)[1] == V2
    finally:
        table.close()


def test_cli_push_and_list(kafka, tmp_path, monkeypatch):
    from flowmetal.cli import app

    settings = kafka.settings("cli")
    monkeypatch.setenv("FLOWMETAL_BOOTSTRAP", settings.bootstrap)
    monkeypatch.setenv("FLOWMETAL_TOPIC_PREFIX", settings.topic_prefix)
    good, bad = tmp_path / "inc.flow", tmp_path / "bad.flow"
    good.write_text(V1)
    bad.write_text(BROKEN)
    runner = CliRunner()

    result = runner.invoke(app, ["programs", "push", str(good)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"inc@{version_of(V1)}"

    result = runner.invoke(app, ["programs", "push", str(bad), "--name", "bad"])
    assert result.exit_code == 1
    assert re.match(rf"{re.escape(str(bad))}:2:\d+: ", result.output), result.output
    assert "return x + * 2" in result.output and "^" in result.output

    result = runner.invoke(app, ["programs", "list"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [f"inc@{version_of(V1)}  (1 version)"]

    result = runner.invoke(app, ["topics", "ensure"])
    assert result.exit_code == 0
    assert result.stdout.split() == [
        settings.topic(n) for n in ("programs", "inbox", "outbox", "state", "history", "dlq")
    ]


def test_an_undecodable_record_is_reported_once_per_process(kafka, caplog):
    from confluent_kafka import Producer

    settings = kafka.settings("undecodable")
    producer = Producer({"bootstrap.servers": settings.bootstrap})
    producer.produce(settings.topic("programs"), key=b"x", value=b"garbage")
    producer.produce(settings.topic("programs"), key=b"y", value=b"\xc3\x01junk")
    assert producer.flush(10) == 0
    name, version = push(settings, V1, "inc.flow")
    caplog.set_level("WARNING", logger="flowmetal.programs")
    # Several tables in one process (as `tasks start --wait` and the service open them),
    # each reading the whole topic, and one of them refreshing again.
    for _ in range(3):
        with ProgramTable(settings) as table:
            assert table.get(name)[0] == version  # the good records still count
            table.refresh()
    warnings = [r for r in caplog.records if "undecodable program record" in r.getMessage()]
    assert [r.levelname for r in warnings] == ["WARNING", "WARNING"]
    assert "'x'" in warnings[0].getMessage() and "'y'" in warnings[1].getMessage()
