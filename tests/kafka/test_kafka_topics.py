"""Topic set-up against the real broker: idempotent, co-partitioned, configured as designed."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from confluent_kafka.admin import ConfigResource, NewTopic

from flowmetal.config import INBOX, STATE
from flowmetal.errors import ServiceError
from flowmetal.kafka import admin, ensure_topics, partition_counts, wait_for_topics

pytestmark = pytest.mark.kafka


def _create(settings, partitions_by_name: dict[str, int]) -> None:
    client = admin(settings)
    futures = client.create_topics(
        [
            NewTopic(settings.topic(n), num_partitions=p, replication_factor=1)
            for n, p in partitions_by_name.items()
        ]
    )
    for future in futures.values():
        future.result(timeout=30)
    wait_for_topics(client, list(futures))


def _fresh(kafka, partitions: int = 6):
    base = kafka.settings("base")
    prefix = f"t{uuid.uuid4().hex[:10]}.raw."
    kafka.prefixes.append(prefix)
    return dataclasses.replace(base, topic_prefix=prefix, partitions=partitions)


def test_ensure_creates_all_topics_and_is_idempotent(kafka):
    settings = kafka.settings("ensure", partitions=4)
    names = ensure_topics(settings)  # second time: nothing to do
    assert names == [
        settings.topic(n) for n in ("programs", "inbox", "outbox", "state", "history", "dlq")
    ]
    assert ensure_topics(settings) == names
    counts = partition_counts(admin(settings))
    assert [counts[n] for n in names] == [1, 4, 4, 4, 4, 1]


def test_topic_cleanup_policies(kafka):
    settings = kafka.settings("policies", partitions=2)
    client = admin(settings)
    resources = [
        ConfigResource(ConfigResource.Type.TOPIC, settings.topic(n))
        for n in ("programs", "inbox", "state", "history")
    ]
    policies = {}
    for resource, future in client.describe_configs(resources).items():
        configs = future.result(timeout=30)
        policies[resource.name] = configs["cleanup.policy"].value
        if resource.name.endswith(".history"):
            assert int(configs["retention.ms"].value) >= 30 * 24 * 3600 * 1000
    assert policies == {
        settings.topic("programs"): "compact",
        settings.topic("inbox"): "delete",
        settings.topic("state"): "compact",
        settings.topic("history"): "delete",
    }


def test_refuses_inbox_and_state_with_different_partition_counts(kafka):
    settings = _fresh(kafka)
    _create(settings, {INBOX: 3, STATE: 2})
    with pytest.raises(ServiceError, match="not co-partitioned"):
        ensure_topics(settings)
    # and it created nothing else on the way
    assert settings.topic("outbox") not in partition_counts(admin(settings))


def test_existing_inbox_decides_the_partition_count(kafka):
    settings = _fresh(kafka, partitions=6)
    _create(settings, {INBOX: 4})
    names = ensure_topics(settings)
    counts = partition_counts(admin(settings))
    assert counts[settings.topic(STATE)] == 4
    assert all(counts[n] == 4 for n in names if n.endswith(("inbox", "outbox", "state", "history")))
