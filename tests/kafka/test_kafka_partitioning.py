"""Partitioning: our murmur2 is Kafka's, and librdkafka places keys where we predict."""

from __future__ import annotations

import pytest
from confluent_kafka import Producer

from flowmetal.kafka import murmur2, partition_for, producer_config

# From Kafka's own clients/src/test/.../common/utils/UtilsTest.java (testMurmur2).
KAFKA_UTILS_TEST = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}
# Values of Kafka's Utils.murmur2 quoted by Akka's Murmur2Spec (tail lengths 1..4 and 5).
MORE = {
    b"1": -1993445489,
    b"12": 126087238,
    b"123": -267702483,
    b"1234": -1614185708,
    b"12345": -1188365604,
}


@pytest.mark.parametrize("data,expected", sorted({**KAFKA_UTILS_TEST, **MORE}.items()))
def test_murmur2_matches_kafka(data, expected):
    assert murmur2(data) == expected


def test_partition_for_is_to_positive_mod_n():
    # "21" hashes negative: toPositive masks the sign bit rather than negating.
    assert partition_for("21", 1000) == (-973932308 & 0x7FFFFFFF) % 1000 == 340
    assert partition_for(b"abc", 7) == 479470107 % 7
    with pytest.raises(Exception, match="at least one partition"):
        partition_for("x", 0)


@pytest.mark.kafka
def test_librdkafka_places_keys_where_partition_for_says(kafka):
    settings = kafka.settings("placement", partitions=7)
    topic = settings.topic("inbox")
    producer = Producer(producer_config(settings))
    placed: dict[str, int] = {}

    def delivered(err, msg):
        assert err is None, err
        placed[msg.key().decode()] = msg.partition()

    keys = [f"task-{i}" for i in range(300)] + ["", "é-ünïcode", "a" * 1000]
    for key in keys:
        producer.produce(topic, key=key.encode(), value=b"x", on_delivery=delivered)
    assert producer.flush(30) == 0
    assert len(placed) == len(keys)
    assert {k: partition_for(k, 7) for k in keys} == placed
    assert len(set(placed.values())) == 7  # and it really spreads
