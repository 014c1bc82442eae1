"""Thin wrappers over confluent-kafka: client settings, topic set-up, partitioning.

Everything that talks to Kafka builds its clients from these factories, so
that every producer of the project partitions the same way and every
consumer reads only committed records:

- `producer_config`: `murmur2_random` partitioner (the Java client's
  placement, so a task id lands on the same partition whoever produces it),
  idempotence, and a transactional id when asked;
- `consumer_config`: read_committed, no auto-commit, earliest, classic groups;
- `ensure_topics`: the six topics of DESIGN.md "Topics", idempotently, and a
  refusal when `inbox` and `state` are no longer co-partitioned;
- `partition_for`: the partition Kafka's default partitioner picks for a key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flowmetal.config import DLQ, HISTORY, INBOX, OUTBOX, PROGRAMS, STATE, Settings
from flowmetal.errors import ServiceError

if TYPE_CHECKING:
    from confluent_kafka.admin import AdminClient

log = logging.getLogger(__name__)

# Snapshots may reach Limits.max_snapshot (16 MiB): leave room for the envelope.
MAX_RECORD_BYTES = 20 * 1024 * 1024
DAY_MS = 24 * 60 * 60 * 1000
HISTORY_RETENTION_MS = 90 * DAY_MS
DLQ_RETENTION_MS = 30 * DAY_MS
# Below the broker's transaction.max.timeout.ms (15 min in ops/kafka, 15 min by default).
TRANSACTION_TIMEOUT_MS = 60_000


# -- client configuration ----------------------------------------------------------------


def producer_config(
    settings: Settings,
    transactional_id: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Settings for a `confluent_kafka.Producer`; transactional when `transactional_id` is set."""
    config: dict[str, Any] = {
        "bootstrap.servers": settings.bootstrap,
        # Java's DefaultPartitioner: murmur2 of the key (random for null keys).
        "partitioner": "murmur2_random",
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "compression.type": "lz4",
        "message.max.bytes": MAX_RECORD_BYTES,
        # send_offsets_to_transaction and commits retry faster (KAFKA.md).
        "retry.backoff.ms": 50,
    }
    if transactional_id is not None:
        config["transactional.id"] = transactional_id
        config["transaction.timeout.ms"] = TRANSACTION_TIMEOUT_MS
    config.update(overrides or {})
    return config


def consumer_config(
    settings: Settings, group_id: str, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Settings for a `confluent_kafka.Consumer` in group `group_id`: committed records only,
    offsets committed by hand (or through a producer's transaction)."""
    config: dict[str, Any] = {
        "bootstrap.servers": settings.bootstrap,
        "group.id": group_id,
        "group.protocol": "classic",
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
        # A dead member's partitions move on within seconds, not the 45 s default.
        "session.timeout.ms": 10_000,
        "heartbeat.interval.ms": 2_000,
    }
    config.update(overrides or {})
    return config


def read_topic(settings: Settings, topic: str, timeout: float = 30.0) -> Iterator[Any]:
    """The committed records of every partition of `topic` (full name), from the beginning
    to the end it had when called; ServiceError if the topic does not answer in time."""
    import uuid

    from confluent_kafka import Consumer, KafkaException

    group = f"{settings.topic_prefix}reader-{uuid.uuid4()}"
    try:
        consumer = Consumer(consumer_config(settings, group))
    except KafkaException as exc:  # a malformed bootstrap address, say
        raise ServiceError(f"cannot read {topic} from {settings.bootstrap}: {exc}") from exc
    try:
        yield from _read_to_end(consumer, topic, timeout)
    except KafkaException as exc:
        raise ServiceError(f"cannot read {topic} from {settings.bootstrap}: {exc}") from exc
    finally:
        consumer.close()


def _read_to_end(consumer: Any, topic: str, timeout: float) -> Iterator[Any]:
    from confluent_kafka import OFFSET_BEGINNING, TopicPartition

    metadata = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
    if metadata is None or metadata.error is not None or not metadata.partitions:
        raise ServiceError(f"topic {topic} does not exist (flowmetal topics ensure)")
    ends = {}
    for number in metadata.partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, number), timeout)
        if high > low:
            ends[number] = high
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in sorted(ends)])
    deadline = time.monotonic() + timeout
    while ends:
        if time.monotonic() > deadline:
            raise ServiceError(f"reading {topic}: no progress within {timeout:.0f}s")
        msg = consumer.poll(0.2)
        if msg is None:
            # Under read_committed, transaction markers and aborted records take offsets
            # but are never delivered: the position tells where we are.
            for tp in consumer.position([TopicPartition(topic, p) for p in list(ends)]):
                if tp.offset >= ends[tp.partition]:
                    del ends[tp.partition]
            continue
        if msg.error():
            raise ServiceError(f"reading {topic}: {msg.error()}")
        partition, offset = msg.partition(), msg.offset() or 0
        if partition in ends:
            if offset + 1 >= ends[partition]:
                del ends[partition]
            deadline = time.monotonic() + timeout
            yield msg


def admin(settings: Settings) -> AdminClient:
    from confluent_kafka.admin import AdminClient

    return AdminClient({"bootstrap.servers": settings.bootstrap})


# -- topics ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicSpec:
    """One topic of a deployment, by its short name."""

    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


def topic_specs(settings: Settings, partitions: int | None = None) -> list[TopicSpec]:
    """The six topics of DESIGN.md "Topics"; `partitions` for inbox/outbox/state/history."""
    n = settings.partitions if partitions is None else partitions
    big = {"max.message.bytes": str(MAX_RECORD_BYTES)}
    return [
        TopicSpec(PROGRAMS, 1, {"cleanup.policy": "compact", **big}),
        TopicSpec(INBOX, n, {"cleanup.policy": "delete", **big}),
        TopicSpec(OUTBOX, n, {"cleanup.policy": "delete", **big}),
        TopicSpec(STATE, n, {"cleanup.policy": "compact", **big}),
        TopicSpec(
            HISTORY, n, {"cleanup.policy": "delete", "retention.ms": str(HISTORY_RETENTION_MS)}
        ),
        TopicSpec(
            DLQ, 1, {"cleanup.policy": "delete", "retention.ms": str(DLQ_RETENTION_MS), **big}
        ),
    ]


def partition_counts(client: AdminClient, timeout: float = 10.0) -> dict[str, int]:
    """Partition count of every topic the cluster has."""
    from confluent_kafka import KafkaException

    try:
        metadata = client.list_topics(timeout=timeout)
    except KafkaException as exc:
        raise ServiceError(f"cannot read cluster metadata: {exc}") from exc
    return {
        name: len(topic.partitions)
        for name, topic in metadata.topics.items()
        if topic.error is None
    }


def ensure_topics(settings: Settings, timeout: float = 30.0) -> list[str]:
    """Create the deployment's topics that do not exist yet; return all six full names.

    Idempotent, and safe when several processes race to create. If `inbox` or
    `state` already exists, the co-partitioned topics take its partition
    count; if both exist with different counts, a task's state would live on
    another partition than its inbox, and this refuses with a ServiceError."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import NewTopic

    client = admin(settings)
    existing = partition_counts(client)
    inbox, state = settings.topic(INBOX), settings.topic(STATE)
    if inbox in existing and state in existing and existing[inbox] != existing[state]:
        raise ServiceError(
            f"topics {inbox} ({existing[inbox]} partitions) and {state} "
            f"({existing[state]} partitions) are not co-partitioned: a task's state must live "
            "on the same partition number as its inbox. Recreate one of them with the "
            "other's partition count."
        )
    n = existing.get(inbox, existing.get(state, settings.partitions))
    if n != settings.partitions:
        log.warning(
            "%s exists with %d partitions (FLOWMETAL_PARTITIONS=%d); using %d",
            inbox if inbox in existing else state,
            n,
            settings.partitions,
            n,
        )

    specs = topic_specs(settings, n)
    missing = [
        NewTopic(
            settings.topic(spec.name),
            num_partitions=spec.partitions,
            replication_factor=-1,  # the cluster's default.replication.factor
            config=spec.config,
        )
        for spec in specs
        if settings.topic(spec.name) not in existing
    ]
    if missing:
        futures = client.create_topics(missing, operation_timeout=timeout)
        for name, future in futures.items():
            try:
                future.result(timeout=timeout)
                log.info("created topic %s", name)
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise ServiceError(f"cannot create topic {name}: {exc}") from exc
        wait_for_topics(client, [t.topic for t in missing], timeout)
    names = [settings.topic(spec.name) for spec in specs]
    # Someone else may have created inbox/state between our read and our create.
    if missing:
        counts = partition_counts(client)
        if counts.get(inbox) != counts.get(state):
            raise ServiceError(
                f"topics {inbox} and {state} ended up with different partition counts "
                f"({counts.get(inbox)} and {counts.get(state)}): co-partitioning is broken"
            )
    return names


def wait_for_topics(client: AdminClient, names: list[str], timeout: float = 30.0) -> None:
    """Creation is acknowledged by the controller before the broker leads the new partitions:
    wait until metadata shows leaders and every partition answers an offsets request."""
    from confluent_kafka import KafkaException, TopicPartition
    from confluent_kafka.admin import OffsetSpec

    deadline = time.monotonic() + timeout
    while True:
        metadata = client.list_topics(timeout=timeout)
        partitions = [
            TopicPartition(name, p)
            for name in names
            if name in metadata.topics and metadata.topics[name].error is None
            for p, info in metadata.topics[name].partitions.items()
            if info.leader >= 0
        ]
        expected = sum(
            len(metadata.topics[n].partitions) if n in metadata.topics else -1 for n in names
        )
        if partitions and len(partitions) == expected:
            try:
                futures = client.list_offsets(
                    {tp: OffsetSpec.latest() for tp in partitions}, request_timeout=timeout
                )
                for future in futures.values():
                    future.result()
                return
            except KafkaException as exc:
                log.debug("topics not served yet: %s", exc)
        if time.monotonic() > deadline:
            raise ServiceError(f"topics {names} were created but not served after {timeout}s")
        time.sleep(0.1)


# -- partitioning ------------------------------------------------------------------------


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) as a signed 32-bit int."""
    mask = 0xFFFFFFFF
    m, r = 0x5BD1E995, 24
    length = len(data)
    h = (0x9747B28C ^ length) & mask
    whole = length & ~3
    for i in range(0, whole, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * m) & mask
        k ^= k >> r
        k = (k * m) & mask
        h = (h * m) & mask
        h ^= k
    tail = length & 3
    if tail == 3:
        h ^= data[whole + 2] << 16
    if tail >= 2:
        h ^= data[whole + 1] << 8
    if tail >= 1:
        h ^= data[whole]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for(key: str | bytes, num_partitions: int) -> int:
    """The partition Java's DefaultPartitioner and librdkafka's murmur2_random pick for `key`:
    toPositive(murmur2(key)) % num_partitions."""
    if num_partitions < 1:
        raise ServiceError(f"a topic has at least one partition, not {num_partitions}")
    data = key.encode() if isinstance(key, str) else key
    return (murmur2(data) & 0x7FFFFFFF) % num_partitions
