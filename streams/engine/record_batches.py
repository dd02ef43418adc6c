"""A processed batch's writes, sent to Kafka as one record batch per topic partition.

aiokafka's `send` costs ~40 µs of Python per record, and a worker sends two
records (changelog row and score) for nearly every account it scores. Filling
aiokafka's batch builders directly and handing each over with `send_batch`
costs a few µs per record.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner, murmur2

Headers = Sequence[tuple[str, bytes]]

# Keys whose murmur2 hash is kept (about 100 bytes each).
HASHES_KEPT = 200_000


@dataclass(frozen=True, slots=True)
class SentBatch:
    """One record batch handed to the producer: resolves to the offset of its first record."""

    topic: str
    partition: int
    records: int
    sent: Awaitable[Any]


class RecordBatches:
    """Records appended per topic partition, in order, until `send` hands them over."""

    def __init__(self, producer: Callable[[], AIOKafkaProducer]) -> None:
        # A callable: Faust creates its aiokafka producer only when the app starts.
        self.producer = producer
        self._partitioner = DefaultPartitioner()
        self._hashes: dict[bytes, int] = {}
        self._building: dict[tuple[str, int], Any] = {}
        self._full: list[tuple[str, int, Any]] = []

    async def partition_for(self, topic: str, key: bytes | None) -> int:
        """The partition aiokafka's default partitioner (murmur2 of the key) picks."""
        producer = self.producer()
        cluster = producer.client.cluster
        partitions = cluster.partitions_for_topic(topic)
        if partitions is None:  # the producer has not seen this topic yet
            partitions = await producer.partitions_for(topic)
        if key is None:
            available = cluster.available_partitions_for_topic(topic)
            partition: int = self._partitioner(key, sorted(partitions), list(available or ()))
            return partition
        ordered: list[int] = sorted(partitions)
        return ordered[self.key_hash(key) % len(ordered)]

    def key_hash(self, key: bytes) -> int:
        """The key's positive murmur2 hash, as DefaultPartitioner takes it, kept:
        murmur2 is pure Python (~4 µs a key), and a worker sees the same accounts."""
        hashed: int | None = self._hashes.get(key)
        if hashed is None:
            if len(self._hashes) >= HASHES_KEPT:
                self._hashes.clear()
            hashed = self._hashes[key] = murmur2(key) & 0x7FFFFFFF
        return hashed

    def append(
        self,
        topic: str,
        partition: int,
        key: bytes | None,
        value: bytes | None,
        headers: Headers = (),
    ) -> None:
        place = (topic, partition)
        builder = self._building.get(place)
        if builder is None:
            builder = self._building[place] = self.producer().create_batch()
        if builder.append(timestamp=None, key=key, value=value, headers=list(headers)) is None:
            # Full: it goes out as it is, and the record starts the next batch
            # (a builder takes its first record whatever its size).
            self._full.append((topic, partition, builder))
            builder = self._building[place] = self.producer().create_batch()
            builder.append(timestamp=None, key=key, value=value, headers=list(headers))

    async def send(self) -> list[SentBatch]:
        """Hand every batch to the producer, in the order the records were appended."""
        batches = self._full + [(t, p, b) for (t, p), b in self._building.items()]
        self._full, self._building = [], {}
        producer = self.producer()
        sent = []
        for topic, partition, builder in batches:
            future = await producer.send_batch(builder, topic, partition=partition)
            sent.append(SentBatch(topic, partition, builder.record_count(), future))
        return sent


def last_offset(batch: SentBatch, done: asyncio.Future[Any]) -> int:
    """The offset of the batch's last record, from its send's result."""
    first: int = done.result().offset
    return first + batch.records - 1
