"""How the transactional producer's wrapper classifies the Kafka client's errors (no broker)."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from flowmetal.interpreter.transaction import AbortableError, FatalError, call_with_retries


def _raising(*errors: BaseException) -> Any:
    left = list(errors)

    def call() -> str:
        if left:
            raise left.pop(0)
        return "done"

    return call


def test_retriable_errors_are_retried_then_the_call_answers() -> None:
    timed_out = KafkaException(KafkaError(KafkaError._TIMED_OUT, retriable=True))
    assert call_with_retries("commit_transaction", _raising(timed_out, timed_out)) == "done"


def test_abortable_fatal_and_fenced_errors_are_classified() -> None:
    abortable = KafkaException(KafkaError(KafkaError._STATE, txn_requires_abort=True))
    with pytest.raises(AbortableError, match="must abort"):
        call_with_retries("send_offsets_to_transaction", _raising(abortable))
    with pytest.raises(FatalError, match="failed fatally"):
        call_with_retries(
            "commit_transaction", _raising(KafkaException(KafkaError(KafkaError._FENCED)))
        )
    fatal = KafkaException(KafkaError(KafkaError._FATAL, fatal=True))
    with pytest.raises(FatalError, match="failed fatally"):
        call_with_retries("commit_transaction", _raising(fatal))


def test_the_clients_system_error_on_a_broken_producer_is_fatal() -> None:
    # What confluent-kafka 2.16 raised from flush() on a fenced producer inside a rebalance
    # callback: the process must exit as fenced, not as an unexpected crash.
    broken = SystemError("_PyErr_SetObject: exception <class 'str'> is not a BaseException")
    with pytest.raises(FatalError, match="flush failed fatally: the Kafka client is broken"):
        call_with_retries("flush", _raising(broken))
