"""A message on a partition other than its key's murmur2 partition is not folded
there: it is copied, bytes and headers as they were, to the repartition topic on
the key's own partition, in order, and counted."""

from __future__ import annotations

import zlib

import pytest
from aiokafka.partitioner import murmur2
from faust.types import Message

from sinks.metrics import create_metrics
from streams.engine.record_batches import RecordBatches
from streams.topics import REPARTITION, PartitionCountError, check_partition_counts
from streams.topology.repartition import (
    ORIGIN_OFFSET,
    ORIGIN_PARTITION,
    ORIGIN_TOPIC,
    Repartition,
    origin_of,
)
from tests.support.fake_producer import Producer

PARTITIONS = 4
INPUTS = {"p.logins": "logins", "p.nps": "nps"}
COPIES = "p.health.repartition"


def murmur2_partition(key: bytes) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % PARTITIONS


def crc32_partition(key: bytes) -> int:
    """Where librdkafka's default partitioner (consistent_random) puts a key."""
    return zlib.crc32(key) % PARTITIONS


def message(topic: str, partition: int, offset: int, key: bytes | None, value: bytes) -> Message:
    return Message(topic, partition, offset, 0.0, 0, [("trace", b"t1")], key, value, None)


def keys_placed_apart(count: int) -> list[bytes]:
    """Account keys that CRC32 and murmur2 put on different partitions."""
    keys = (f"acct-{n}".encode() for n in range(1000))
    return [k for k in keys if crc32_partition(k) != murmur2_partition(k)][:count]


def repartition_with(producer: Producer) -> tuple[Repartition, RecordBatches]:
    metrics = create_metrics()
    batches = RecordBatches(lambda: producer)  # type: ignore[arg-type,return-value]
    return Repartition(batches, COPIES, PARTITIONS, INPUTS, metrics), batches


def moved(repartition: Repartition, topic: str) -> float:
    value = repartition.metrics.repartitioned.labels(topic)._value.get()
    return float(value)


async def test_a_message_on_its_keys_partition_is_folded_where_it_is() -> None:
    producer = Producer()
    repartition, batches = repartition_with(producer)
    key = b"acct-7"
    here = message("p.logins", murmur2_partition(key), 3, key, b"{}")
    assert repartition.keep_home([here]) == [here]
    await batches.send()
    assert producer.records == []
    assert moved(repartition, "logins") == 0


async def test_a_message_a_crc32_producer_placed_is_copied_to_its_keys_partition() -> None:
    producer = Producer()
    repartition, batches = repartition_with(producer)
    (key,) = keys_placed_apart(1)
    arrived = message("p.logins", crc32_partition(key), 11, key, b'{"x":1}')
    assert repartition.keep_home([arrived]) == []
    await batches.send()
    assert producer.records == [
        (
            COPIES,
            murmur2_partition(key),
            key,
            b'{"x":1}',
            [
                ("trace", b"t1"),
                (ORIGIN_TOPIC, b"logins"),
                (ORIGIN_PARTITION, str(crc32_partition(key)).encode()),
                (ORIGIN_OFFSET, b"11"),
            ],
        )
    ]
    assert moved(repartition, "logins") == 1


async def test_copies_keep_each_accounts_order_and_the_rest_stay_in_theirs() -> None:
    producer = Producer()
    repartition, batches = repartition_with(producer)
    apart = keys_placed_apart(3)
    mixed = []
    for offset in range(30):
        key = apart[offset % 3]
        partition = crc32_partition(key) if offset % 2 else murmur2_partition(key)
        mixed.append(message("p.nps", partition, offset, key, f"v{offset}".encode()))
    home = repartition.keep_home(mixed)
    assert [m.offset for m in home] == list(range(0, 30, 2))
    await batches.send()
    for key in apart:
        copied = [value for _, _, k, value, _ in producer.records if k == key]
        sent = [m.value for m in mixed[1::2] if m.key == key]
        assert copied == sent
        assert {p for _, p, k, _, _ in producer.records if k == key} == {murmur2_partition(key)}
    assert moved(repartition, "nps") == 15


async def test_keyless_messages_and_internal_topics_are_never_moved() -> None:
    producer = Producer()
    repartition, batches = repartition_with(producer)
    (key,) = keys_placed_apart(1)
    elsewhere = (murmur2_partition(key) + 1) % PARTITIONS
    keyless = message("p.logins", 2, 1, None, b"{}")
    ticks = message("p.health.ticks", elsewhere, 2, key, b"[]")
    assert repartition.keep_home([keyless, ticks]) == [keyless, ticks]
    await batches.send()
    assert producer.records == []


def test_a_copy_is_read_as_the_topic_it_came_from() -> None:
    assert origin_of([("trace", b"t"), (ORIGIN_TOPIC, b"nps")]) == "nps"
    assert origin_of([("trace", b"t")]) == REPARTITION
    assert origin_of([(ORIGIN_TOPIC, b"health.scores")]) == REPARTITION


def test_topics_read_together_with_other_partition_counts_stop_start_up_in_one_line() -> None:
    check_partition_counts({"logins": 8, "nps": 8}, 8)
    with pytest.raises(PartitionCountError) as same:
        check_partition_counts({"logins": 12, "nps": 12, "tickets": 12}, 8)
    assert str(same.value) == (
        "input topics must all have HS_PARTITIONS=8 partitions, but logins has 12, "
        "nps has 12, tickets has 12; set HS_PARTITIONS=12 to match them"
    )
    with pytest.raises(PartitionCountError) as mixed:
        check_partition_counts({"logins": 8, "nps": 6}, 8)
    assert "nps has 6" in str(mixed.value) and "logins" not in str(mixed.value)
    assert "\n" not in str(mixed.value)
