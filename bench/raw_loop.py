"""The limit: a raw aiokafka consume + parse loop over the same messages."""

from __future__ import annotations

import time

import orjson
from aiokafka import AIOKafkaConsumer


async def raw_rate(bootstrap: str, topics: list[str], expected_messages: int) -> dict[str, float]:
    """Read `expected_messages` from the start of `topics`, parsing every value as JSON."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=16 << 20,
        fetch_max_bytes=64 << 20,
    )
    await consumer.start()
    messages = events = 0
    started: float | None = None
    try:
        while messages < expected_messages:
            batches = await consumer.getmany(timeout_ms=1000, max_records=20_000)
            if started is None and batches:
                started = time.perf_counter()
            for records in batches.values():
                for record in records:
                    document = orjson.loads(record.value) if record.value else None
                    events += len(document) if isinstance(document, list) else 1
                messages += len(records)
    finally:
        await consumer.stop()
    elapsed = time.perf_counter() - (started or time.perf_counter())
    return {
        "messages": messages,
        "events": events,
        "seconds": elapsed,
        "messages_per_second": messages / elapsed if elapsed else 0.0,
        "events_per_second": events / elapsed if elapsed else 0.0,
    }
