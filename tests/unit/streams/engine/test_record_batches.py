"""A batch's records reach the producer as record batches, in order, per topic partition."""

from __future__ import annotations

from aiokafka.partitioner import murmur2

from streams.engine.record_batches import RecordBatches, last_offset
from tests.support.fake_producer import Producer


async def test_records_of_a_partition_go_out_in_the_order_they_were_appended() -> None:
    producer = Producer()
    batches = RecordBatches(lambda: producer)  # type: ignore[arg-type,return-value]
    for n in range(5):
        batches.append("scores", n % 2, f"k{n}".encode(), f"v{n}".encode())
    sent = await batches.send()
    assert producer.sent == [
        ("scores", 0, [(b"k0", b"v0"), (b"k2", b"v2"), (b"k4", b"v4")]),
        ("scores", 1, [(b"k1", b"v1"), (b"k3", b"v3")]),
    ]
    assert [(s.topic, s.partition, s.records) for s in sent] == [("scores", 0, 3), ("scores", 1, 2)]
    assert [last_offset(s, s.sent) for s in sent] == [42, 41]  # type: ignore[arg-type]
    assert await batches.send() == [], "a send hands over each record once"


async def test_a_full_batch_goes_out_first_and_nothing_is_dropped() -> None:
    producer = Producer(batch_size=2000)
    batches = RecordBatches(lambda: producer)  # type: ignore[arg-type,return-value]
    values = [bytes([65 + n]) * 700 for n in range(7)]
    for value in values:
        batches.append("changelog", 2, b"acme", value)
    await batches.send()
    assert len(producer.sent) > 1
    assert [v for _, _, records in producer.sent for _, v in records] == values
    assert {(topic, partition) for topic, partition, _ in producer.sent} == {("changelog", 2)}


async def test_keys_are_partitioned_as_kafkas_default_partitioner_does() -> None:
    producer = Producer()
    batches = RecordBatches(lambda: producer)  # type: ignore[arg-type,return-value]
    for key in (b"acme", b"globex", b"initech", b"umbrella"):
        expected = (murmur2(key) & 0x7FFFFFFF) % 4
        assert await batches.partition_for("known", key) == expected
    assert await batches.partition_for("new", b"acme") == (murmur2(b"acme") & 0x7FFFFFFF) % 2
    assert producer.asked == ["new"], "metadata is fetched for a topic the producer has not seen"
    assert await batches.partition_for("known", None) in {0, 1, 2, 3}


async def test_a_key_follows_the_partition_count_when_a_topic_grows() -> None:
    producer = Producer()
    batches = RecordBatches(lambda: producer)  # type: ignore[arg-type,return-value]
    keys = [f"account-{n}".encode() for n in range(50)]
    before = [await batches.partition_for("known", key) for key in keys]
    producer.client.cluster.partitions["known"] = set(range(12))
    after = [await batches.partition_for("known", key) for key in keys]
    assert before == [(murmur2(key) & 0x7FFFFFFF) % 4 for key in keys]
    assert after == [(murmur2(key) & 0x7FFFFFFF) % 12 for key in keys]
    assert max(after) > 3


async def test_a_record_larger_than_a_batch_goes_out_alone_in_its_place() -> None:
    producer = Producer(batch_size=100)
    batches = RecordBatches(lambda: producer)  # type: ignore[arg-type,return-value]
    for value in (b"small", b"x" * 5000, b"after"):
        batches.append("changelog", 0, b"a", value)
    await batches.send()
    assert [[v for _, v in records] for _, _, records in producer.sent] == [
        [b"small"],
        [b"x" * 5000],
        [b"after"],
    ]
