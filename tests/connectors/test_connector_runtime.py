"""The connector runtime against the real broker: responses, kinds, dead letters, retries, timeouts."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException
from connector_helpers import (
    produce_raw,
    produce_requests,
    read_dead_letters,
    read_responses,
    running,
)

from flowmetal import wire
from flowmetal.connectors.echo import EchoConnector
from flowmetal.connectors.sdk import Connector, ConnectorError, RetryableError
from flowmetal.protocol import JSON, Message, Request

pytestmark = pytest.mark.kafka


def _requests(n: int, kind: str = "echo") -> list[Request]:
    return [
        Request(id=f"task-{i % 7}.{i}", task_id=f"task-{i % 7}", kind=kind, payload={"n": i})
        for i in range(n)
    ]


def test_echo_answers_each_request_once_in_the_task_inbox(kafka) -> None:
    settings = kafka.settings("echo")
    requests = _requests(50)
    produce_requests(settings, requests)
    with running(EchoConnector(), settings):
        messages = read_responses(settings, 50, settle=1.0)
    counts = Counter(m.request_id for m in messages)
    assert counts == Counter(r.id for r in requests)
    by_request = {m.request_id: m for m in messages}
    for r in requests:
        m = by_request[r.id]
        assert (m.task_id, m.kind, m.id) == (r.task_id, "response", f"{r.id}:response")
        assert m.payload == {"ok": True, "value": {"n": r.payload["n"]}}


def test_response_lands_on_the_inbox_partition_of_its_task(kafka) -> None:
    from connector_helpers import read_topic

    from flowmetal.kafka import partition_for

    settings = kafka.settings("partition")
    produce_requests(settings, _requests(14))
    with running(EchoConnector(), settings):
        records = read_topic(settings, settings.topic("inbox"), lambda rs: len(rs) >= 14)
    assert len(records) == 14
    for rec in records:
        assert rec.partition() == partition_for(rec.key(), settings.partitions)
        assert wire.kind_of(rec.headers()) == "response"


def test_requests_of_another_kind_are_left_alone(kafka) -> None:
    settings = kafka.settings("kinds")
    produce_requests(settings, _requests(3, kind="http") + _requests(2, kind="echo"))
    # A writer without the kind header: the decoded kind decides.
    unheaded = Request(id="bare.1", task_id="bare", kind="http", payload=None)
    produce_requests(settings, [unheaded], header=False)
    produce_requests(
        settings, [Request(id="bare.2", task_id="bare", kind="echo", payload=7)], header=False
    )
    with running(EchoConnector(), settings):
        messages = read_responses(settings, 3, timeout=30, settle=2.0)
    assert sorted(str(m.request_id) for m in messages) == ["bare.2", "task-0.0", "task-1.1"]


def test_undecodable_record_goes_to_the_dlq_and_the_rest_is_served(kafka) -> None:
    settings = kafka.settings("dlq")
    produce_raw(settings, b"broken", b"not avro at all", [("flowmetal-kind", b"echo")])
    produce_requests(settings, [Request(id="ok.1", task_id="broken", kind="echo", payload=1)])
    with running(EchoConnector(), settings):
        letters = read_dead_letters(settings, 1)
        messages = read_responses(settings, 1)
    assert [m.request_id for m in messages] == ["ok.1"]
    (letter,) = letters
    assert letter.original_key == b"broken" and letter.original_value == b"not avro at all"
    assert letter.topic == settings.topic("outbox") and letter.offset >= 0
    assert "bad magic" in letter.error


class Flaky(Connector):
    """Fails with a retryable error until a request's third attempt; 'bad' fails for good."""

    kind = "flaky"
    backoff_initial = 0.01

    def __init__(self) -> None:
        self.attempts: Counter[str] = Counter()

    async def handle(self, request: Request) -> JSON:
        self.attempts[request.id] += 1
        if request.payload == "bad":
            raise ConnectorError("no such thing", type="LookupError")
        if self.attempts[request.id] < 3:
            raise RetryableError("try again")
        return self.attempts[request.id]


def test_retries_until_success_or_out_of_attempts(kafka) -> None:
    settings = kafka.settings("retries")
    produce_requests(
        settings,
        [
            Request(id="t.1", task_id="t", kind="flaky", payload=None, retries=5),
            Request(id="t.2", task_id="t", kind="flaky", payload=None, retries=1),
            Request(id="t.3", task_id="t", kind="flaky", payload="bad", retries=5),
        ],
    )
    connector = Flaky()
    with running(connector, settings):
        messages = {m.request_id: m.payload for m in read_responses(settings, 3)}
    assert messages["t.1"] == {"ok": True, "value": 3}
    assert messages["t.2"] == {
        "ok": False,
        "error": {"type": "RetryableError", "message": "try again"},
    }
    assert messages["t.3"] == {
        "ok": False,
        "error": {"type": "LookupError", "message": "no such thing"},
    }
    assert connector.attempts == Counter({"t.1": 3, "t.2": 2, "t.3": 1})


def test_a_request_past_its_timeout_gets_a_timeout_error(kafka) -> None:
    settings = kafka.settings("timeout")
    produce_requests(
        settings,
        [
            Request(id="s.1", task_id="s", kind="echo", payload="slow", timeout=0.2, retries=1),
            Request(id="f.1", task_id="f", kind="echo", payload="fast", timeout=5.0),
        ],
    )
    with running(EchoConnector(delay=1.0), settings):
        messages = {m.request_id: m.payload for m in read_responses(settings, 2)}
    assert messages["f.1"] == {"ok": True, "value": "fast"}
    assert messages["s.1"]["ok"] is False
    assert messages["s.1"]["error"]["type"] == "Timeout"


def test_a_fenced_connector_fails_instead_of_answering(kafka) -> None:
    from flowmetal.connectors.runtime import ConnectorRuntime
    from flowmetal.errors import ServiceError

    settings = kafka.settings("fenced")
    produce_requests(settings, [Request(id="a.1", task_id="a", kind="echo", payload=1)])
    first = ConnectorRuntime(EchoConnector(), settings, transactional_id="echo-fenced")

    async def main() -> None:
        async def usurp() -> None:
            # Wait until the first has answered, then take its transactional id: the
            # broker fences the first, whose next transaction must fail, not commit.
            await asyncio.to_thread(read_responses, settings, 1)
            from confluent_kafka import Producer

            from flowmetal.kafka import producer_config

            Producer(producer_config(settings, "echo-fenced")).init_transactions(30)
            produce_requests(settings, [Request(id="a.2", task_id="a", kind="echo", payload=2)])

        usurper = asyncio.create_task(usurp())
        with pytest.raises(ServiceError, match="(?i)fenc"):
            await asyncio.wait_for(first.run(), 60)
        await usurper

    asyncio.run(main())
    assert first.served == 1


class _AbortFirstCommit:
    """A producer whose first commit fails as an abortable error (as a broker might)."""

    def __init__(self, producer: Any) -> None:
        self._producer = producer
        self.injected = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._producer, name)

    def commit_transaction(self, *args: Any) -> Any:
        if not self.injected:
            self.injected += 1
            raise KafkaException(KafkaError(KafkaError._STATE, "injected", txn_requires_abort=True))
        return self._producer.commit_transaction(*args)


class CountingEcho(EchoConnector):
    def __init__(self) -> None:
        super().__init__()
        self.handled: Counter[str] = Counter()

    async def handle(self, request: Request) -> JSON:
        self.handled[request.id] += 1
        return await super().handle(request)


def test_an_aborted_transaction_rewinds_and_answers_each_request_once(kafka) -> None:
    from flowmetal.connectors.runtime import ConnectorRuntime

    class AbortingRuntime(ConnectorRuntime):
        def _open(self) -> None:
            super()._open()
            self._producer = _AbortFirstCommit(self._producer)  # type: ignore[assignment,has-type]

    settings = kafka.settings("abort")
    requests = _requests(20)
    produce_requests(settings, requests)
    connector = CountingEcho()
    runtime = AbortingRuntime(connector, settings)

    async def main() -> list[Message]:
        serving = asyncio.create_task(runtime.run())
        try:
            return await asyncio.to_thread(read_responses, settings, 20, 60.0, 1.0)
        finally:
            runtime.stop()
            await serving

    messages = asyncio.run(main())
    assert Counter(m.request_id for m in messages) == Counter(r.id for r in requests)
    # The aborted transaction's requests were served again after the rewind.
    assert max(connector.handled.values()) == 2
    assert set(connector.handled) == {r.id for r in requests}


class Huge(Connector):
    kind = "huge"

    async def handle(self, request: Request) -> JSON:
        return "x" * (21 * 1024 * 1024)  # past the inbox's record limit


def test_a_result_too_large_for_kafka_becomes_an_error_not_a_poison_pill(kafka) -> None:
    settings = kafka.settings("huge")
    produce_requests(
        settings,
        [
            Request(id="h.1", task_id="h", kind="huge", payload=None),
            Request(id="h.2", task_id="h", kind="huge", payload=None),
        ],
    )
    with running(Huge(), settings):
        messages = read_responses(settings, 2)
    for m in messages:
        assert m.payload["ok"] is False and m.payload["error"]["type"] == "ConnectorError"
        assert "result too large" in m.payload["error"]["message"]


def test_a_connector_on_a_fresh_cluster_creates_the_topics(kafka) -> None:
    import dataclasses
    import uuid

    settings = dataclasses.replace(
        kafka.settings("fresh"), topic_prefix=f"fresh{uuid.uuid4().hex[:8]}."
    )
    kafka.prefixes.append(settings.topic_prefix)  # dropped with the session's topics
    with running(EchoConnector(), settings):
        deadline = time.monotonic() + 30
        while settings.topic("outbox") not in _topics(settings):
            assert time.monotonic() < deadline, "the connector did not create its topics"
            time.sleep(0.2)
        produce_requests(settings, [Request(id="f.1", task_id="f", kind="echo", payload="hi")])
        (message,) = read_responses(settings, 1)
    assert message.payload == {"ok": True, "value": "hi"}


def _topics(settings: Any) -> set[str]:
    from flowmetal.kafka import admin

    return set(admin(settings).list_topics(timeout=10).topics)
