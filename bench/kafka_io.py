"""Loading the benchmark's messages into the broker, and watching its consumer groups."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

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


async def wait_for_group(bootstrap: str, group: str, members: int) -> None:
    """Wait until the consumer group is stable with `members` members.

    The local broker starts a new group's first rebalance at once (no
    initial delay), so the first worker up takes every partition and works
    alone until its peers have joined.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        while True:
            for response in await admin.describe_consumer_groups([group]):
                for description in response.groups:
                    state, joined = description[2], len(description[5])
                    if state == "Stable" and joined == members:
                        return
            await asyncio.sleep(0.5)
    finally:
        await admin.close()


async def drop_topics(bootstrap: str, prefix: str) -> int:
    """Delete every topic whose name starts with `prefix`; how many there were."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [name for name in await admin.list_topics() if name.startswith(prefix)]
        if names:
            await admin.delete_topics(names)
        return len(names)
    finally:
        await admin.close()
