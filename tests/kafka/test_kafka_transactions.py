"""The broker set-up carries what the interpreter needs: transactions, big records."""

from __future__ import annotations

import time

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from flowmetal.kafka import MAX_RECORD_BYTES, consumer_config, producer_config

pytestmark = pytest.mark.kafka


def _drain(consumer: Consumer, want: int, timeout: float = 30.0) -> list:
    got: list = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            got.append(msg)
    return got


def test_committed_transaction_visible_aborted_one_not(kafka):
    settings = kafka.settings("txn", partitions=1)
    topic = settings.topic("inbox")
    producer = Producer(producer_config(settings, transactional_id=kafka.group_id("txn")))
    producer.init_transactions(30)

    producer.begin_transaction()
    producer.produce(topic, key=b"t", value=b"aborted")
    producer.abort_transaction(30)
    producer.begin_transaction()
    producer.produce(topic, key=b"t", value=b"committed")
    producer.commit_transaction(30)

    consumer = Consumer(consumer_config(settings, kafka.group_id("reader")))
    consumer.subscribe([topic])
    try:
        values = [m.value() for m in _drain(consumer, 1)]
        time.sleep(0.5)
        values += [m.value() for m in _drain(consumer, 1, timeout=1.0)]
    finally:
        consumer.close()
    assert values == [b"committed"]


def test_offsets_sent_to_transaction_are_committed(kafka):
    settings = kafka.settings("eos", partitions=1)
    source, sink = settings.topic("inbox"), settings.topic("outbox")
    group = kafka.group_id("eos")
    seed = Producer(producer_config(settings))
    for i in range(3):
        seed.produce(source, key=b"t", value=str(i).encode())
    seed.flush(30)

    consumer = Consumer(consumer_config(settings, group))
    consumer.subscribe([source])
    producer = Producer(producer_config(settings, transactional_id=kafka.group_id("eos-tx")))
    producer.init_transactions(30)
    msgs = _drain(consumer, 3)
    assert [m.value() for m in msgs] == [b"0", b"1", b"2"]
    producer.begin_transaction()
    for m in msgs:
        producer.produce(sink, key=m.key(), value=m.value() * 2)
    producer.send_offsets_to_transaction(
        consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 30
    )
    producer.commit_transaction(30)
    consumer.close()

    committed = Consumer(consumer_config(settings, group)).committed(
        [TopicPartition(source, 0)], timeout=30
    )
    assert committed[0].offset == 3


def test_a_16_mib_record_fits(kafka):
    settings = kafka.settings("big", partitions=1)
    topic = settings.topic("state")
    producer = Producer(producer_config(settings))
    value = b"s" * (16 * 1024 * 1024 + 1024)
    assert len(value) < MAX_RECORD_BYTES
    errors: list = []
    producer.produce(topic, key=b"t", value=value, on_delivery=lambda e, m: errors.append(e))
    assert producer.flush(60) == 0
    assert errors == [None]
    consumer = Consumer(consumer_config(settings, kafka.group_id("big")))
    consumer.subscribe([topic])
    try:
        got = _drain(consumer, 1)
    finally:
        consumer.close()
    assert len(got) == 1 and got[0].value() == value
