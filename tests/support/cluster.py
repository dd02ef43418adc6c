"""Several worker processes of one application (one consumer group), started in parallel."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from aiokafka import AIOKafkaProducer

from tests.support.kafka_io import produce
from tests.support.truth import Traffic
from tests.support.worker import WorkerProcess, new_worker


def cluster(env: dict[str, str], folder: Path, size: int) -> list[WorkerProcess]:
    """`size` workers sharing `env`'s topics and group, each with its own state folder."""
    return [
        new_worker(
            {**env, "HS_DATA_DIR": str(folder / f"w{index}" / "state")}, folder / f"w{index}"
        )
        for index in range(size)
    ]


async def start_all(workers: Sequence[WorkerProcess]) -> None:
    await asyncio.gather(*(asyncio.to_thread(w.start, 120.0) for w in workers))


async def wait_all_ready(workers: Sequence[WorkerProcess]) -> None:
    await asyncio.gather(*(asyncio.to_thread(w.wait_ready, 120.0) for w in workers))


async def stop_all(workers: Sequence[WorkerProcess]) -> None:
    await asyncio.gather(*(asyncio.to_thread(w.stop) for w in workers))


async def send_traffic(bootstrap: str, prefix: str, traffic: Traffic, **options: object) -> None:
    """Produce every topic's messages of `traffic` (accounts first, so profiles lead)."""
    topics = sorted(traffic.by_topic, key=lambda name: name != "accounts")
    if options:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, **options)
        await producer.start()
        try:
            for name in topics:
                sent = [
                    await producer.send(prefix + name, value=value, key=key)
                    for key, value in traffic.by_topic[name]
                ]
                await asyncio.gather(*sent)
        finally:
            await producer.stop()
        return
    for name in topics:
        await produce(bootstrap, prefix + name, traffic.by_topic[name])
