"""Produce to and read back from the real broker in tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord


async def produce(
    bootstrap: str,
    topic: str,
    messages: Sequence[tuple[bytes | None, bytes]],
    headers: list[tuple[str, bytes]] | None = None,
    partition: int | None = None,
) -> None:
    """Send `messages` and wait until the broker has them all; to `partition` if
    given, else where the default (murmur2) partitioner puts each key."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=10 * 1024 * 1024)
    await producer.start()
    try:
        sent = [
            await producer.send(topic, value=value, key=key, headers=headers, partition=partition)
            for key, value in messages
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def event_message(event: dict[str, Any]) -> tuple[bytes, bytes]:
    return str(event["account_id"]).encode(), orjson.dumps(event)


async def read_until(
    bootstrap: str,
    topic: str,
    done: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    within: float = 60.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read `topic` from the start until `done(records)` holds; fail after `within` s."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + within
    try:
        while not done(records):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{topic}: condition not met after {within} s; read {len(records)} records"
                )
            batches = await consumer.getmany(timeout_ms=500)
            for batch in batches.values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records
