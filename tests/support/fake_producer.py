"""What RecordBatches uses of AIOKafkaProducer, recording what it was handed."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.default_records import DefaultRecordBatch

from streams.engine.faust_internals import built_batch


class Cluster:
    def __init__(self) -> None:
        self.partitions = {"known": {0, 1, 2, 3}}

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return self.partitions.get(topic)

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return {0, 1, 2, 3}


class Producer:
    """What RecordBatches uses of AIOKafkaProducer; batches hold at most `batch_size` bytes."""

    def __init__(self, batch_size: int = 16384) -> None:
        self.batch_size = batch_size
        self.client = type("Client", (), {"cluster": Cluster()})()
        self.sent: list[tuple[str, int, list[tuple[bytes | None, bytes | None]]]] = []
        self.asked: list[str] = []
        # Every record sent, with its headers: (topic, partition, key, value, headers).
        self.records: list[tuple[str, int, bytes | None, bytes | None, list[Any]]] = []

    def create_batch(self) -> BatchBuilder:
        return BatchBuilder(self.batch_size, 0, is_transactional=False)

    async def send_batch(self, batch: BatchBuilder, topic: str, *, partition: int) -> Any:
        records = list(DefaultRecordBatch(bytearray(built_batch(batch))))  # readable once
        self.sent.append((topic, partition, [(r.key, r.value) for r in records]))
        self.records += [(topic, partition, r.key, r.value, list(r.headers)) for r in records]
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result(type("Metadata", (), {"offset": 40})())
        return done

    async def partitions_for(self, topic: str) -> set[int]:
        self.asked.append(topic)
        return {0, 1}
