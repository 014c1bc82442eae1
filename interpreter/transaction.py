"""The interpreter's transactional producer: one open transaction at a time, classified errors.

A thin wrapper over confluent-kafka's transactional Producer that the loop
drives. It begins a transaction lazily (so an idle loop never commits an
empty one), produces records with delivery reports, and commits with the
consumer's offsets:

1. flush, so that every record of the transaction has its delivery report;
   a record that failed to deliver makes the transaction abortable;
2. `send_offsets_to_transaction` with the consumer's positions and group
   metadata: the group coordinator refuses it if this member is no longer
   the owner (KIP-447 fencing of zombies);
3. `commit_transaction`;
4. return the `state` offsets of the transaction's state records, per
   partition: the loop writes its RocksDB checkpoint from them. Delivery
   reports are the exact offsets, and arrive in step 1, before the commit.

Errors come out as three exceptions, following librdkafka's classes:
retriable ones are retried here, `AbortableError` asks the loop to abort and
rewind, `FatalError` (fatal or fenced) asks the process to exit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from flowmetal.config import STATE, Settings
from flowmetal.errors import ServiceError
from flowmetal.interpreter.effects import Record
from flowmetal.kafka import producer_config

log = logging.getLogger(__name__)

RETRIES = 20
RETRY_PAUSE_S = 0.1


class AbortableError(ServiceError):
    """The open transaction cannot commit: abort it and redo its work."""


class FatalError(ServiceError):
    """The producer is fenced or broken: the process must exit (crash-only)."""


def _error_of(exc: Exception) -> Any:
    return exc.args[0] if exc.args and hasattr(exc.args[0], "code") else None


def is_fenced(err: Any) -> bool:
    """A fenced or already-fatal producer: nothing but exiting helps."""
    from confluent_kafka import KafkaError

    fenced = {
        KafkaError._FATAL,  # the producer already failed fatally (often: fenced)
        KafkaError._FENCED,
        getattr(KafkaError, "PRODUCER_FENCED", -1),
        KafkaError.INVALID_PRODUCER_EPOCH,
        KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    }
    return err is not None and err.code() in fenced


def call_with_retries(what: str, call: Callable[[], Any]) -> Any:
    """Run a transactional call, retrying retriable errors, classifying the others."""
    from confluent_kafka import KafkaException

    for attempt in range(RETRIES):
        try:
            return call()
        except SystemError as exc:
            raise _broken(what, exc) from exc
        except KafkaException as exc:
            err = _error_of(exc)
            if err is None or err.fatal() or is_fenced(err):
                raise FatalError(f"{what} failed fatally: {exc}") from exc
            if err.txn_requires_abort():
                raise AbortableError(f"{what} failed; the transaction must abort: {exc}") from exc
            if err.retriable() and attempt + 1 < RETRIES:
                log.info("%s: retriable error, retrying: %s", what, exc)
                time.sleep(RETRY_PAUSE_S)
                continue
            raise FatalError(f"{what} failed: {exc}") from exc
    raise FatalError(f"{what} failed after {RETRIES} attempts")  # pragma: no cover


def _broken(what: str, exc: SystemError) -> FatalError:
    # confluent-kafka 2.16 raises a malformed SystemError ("exception <class 'str'> is not a
    # BaseException subclass") from a producer that has failed fatally — seen when the
    # process was fenced while committing inside a rebalance callback. Nothing but exiting
    # helps, as with any fatal error.
    return FatalError(f"{what} failed fatally: the Kafka client is broken ({exc})")


class TransactionalProducer:
    """One transactional producer per process; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        transactional_id: str,
        transaction_timeout_ms: int,
        overrides: dict[str, Any] | None = None,
    ) -> None:
        from confluent_kafka import Producer

        config = producer_config(
            settings,
            transactional_id,
            {"transaction.timeout.ms": transaction_timeout_ms, **(overrides or {})},
        )
        self.settings = settings
        self.transactional_id = transactional_id
        self._producer: Any = Producer(config)
        self._topics = {
            name: settings.topic(name) for name in ("inbox", "outbox", STATE, "history", "dlq")
        }
        self.open = False
        self.started = 0.0  # time.monotonic() when the open transaction began
        self.produced = 0
        self._state_offsets: dict[int, int] = {}
        self._failures: list[str] = []

    def init(self, timeout_s: float = 60.0) -> None:
        """Register the transactional id (fences an older producer with the same id)."""
        call_with_retries("init_transactions", lambda: self._producer.init_transactions(timeout_s))

    def _begin(self) -> None:
        call_with_retries("begin_transaction", self._producer.begin_transaction)
        self.open = True
        self.started = time.monotonic()
        self.produced = 0
        self._state_offsets = {}
        self._failures = []

    def begin(self) -> None:
        """Begin a transaction now if none is open (the loop begins one per batch)."""
        if not self.open:
            self._begin()

    def produce(self, record: Record) -> None:
        """Produce `record` in the open transaction (beginning one if needed)."""
        from confluent_kafka import KafkaException

        if not self.open:
            self._begin()
        topic = self._topics[record.topic]
        is_state = record.topic == STATE

        def delivered(err: Any, msg: Any) -> None:
            if err is not None:
                self._failures.append(f"{topic}: {err}")
            elif is_state:
                p = msg.partition()
                self._state_offsets[p] = max(self._state_offsets.get(p, -1), msg.offset())

        kwargs: dict[str, Any] = {
            "key": record.key,
            "value": record.value,
            "on_delivery": delivered,
        }
        if record.headers:
            kwargs["headers"] = record.headers
        if record.partition is not None:
            kwargs["partition"] = record.partition
        try:
            while True:
                try:
                    self._producer.produce(topic, **kwargs)
                    break
                except BufferError:
                    self._producer.poll(0.05)  # the local queue is full: let deliveries drain
            self.produced += 1
            self._producer.poll(0)
        except SystemError as exc:
            raise _broken("produce", exc) from exc
        except KafkaException as exc:
            err = _error_of(exc)
            if err is not None and (err.fatal() or is_fenced(err)):
                raise FatalError(f"produce failed fatally: {exc}") from exc
            raise AbortableError(f"produce to {topic} failed: {exc}") from exc

    def commit(self, offsets: list[Any], group_metadata: Any) -> dict[int, int]:
        """Steps 1-4 of the module docstring; returns {state partition: last offset}."""
        if not self.open:
            return {}
        remaining = call_with_retries("flush", lambda: self._producer.flush(30))
        if remaining or self._failures:
            reason = self._failures[0] if self._failures else f"{remaining} records undelivered"
            raise AbortableError(f"records of the transaction were not delivered: {reason}")
        if offsets:
            call_with_retries(
                "send_offsets_to_transaction",
                lambda: self._producer.send_offsets_to_transaction(offsets, group_metadata, 30),
            )
        call_with_retries("commit_transaction", lambda: self._producer.commit_transaction(30))
        self.open = False
        return dict(self._state_offsets)

    def abort(self) -> None:
        """Abort the open transaction; its records will never be read (read_committed)."""
        if not self.open:
            return
        self.open = False
        call_with_retries("abort_transaction", lambda: self._producer.abort_transaction(30))

    def close(self, broken: bool = False) -> None:
        """Flush what is left, unless the producer is broken (flushing would only fail)."""
        if broken:
            return
        try:
            self._producer.flush(5)
        except Exception as exc:  # closing must not hide why we are closing
            log.warning("closing the producer: %s", exc)
