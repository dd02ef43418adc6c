"""Loading the benchmark's messages into the broker."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer

from streams.settings import Settings
from streams.topics import ensure_topics


async def load(
    bootstrap: str, prefix: str, partitions: int, messages: Iterable[tuple[str, bytes, bytes]]
) -> int:
    """Create the prefixed topics and send (topic, key, value) messages; return the count."""
    await ensure_topics(
        Settings(kafka_bootstrap=bootstrap, topic_prefix=prefix, partitions=partitions)
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        linger_ms=20,
        max_batch_size=1 << 20,
        max_request_size=10 << 20,
        compression_type=None,
    )
    await producer.start()
    sent = 0
    try:
        pending = []
        for topic, key, value in messages:
            pending.append(await producer.send(prefix + topic, value=value, key=key))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                sent += len(pending)
                pending.clear()
        await asyncio.gather(*pending)
        sent += len(pending)
    finally:
        await producer.stop()
    return sent
