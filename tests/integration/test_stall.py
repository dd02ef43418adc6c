"""A worker that stops keeping up with its input says so on /readyz, and why; then recovers.

The stall is a real one, made by the broker: `health.scores` is deleted under
a running worker, so the broker refuses its outputs (UnknownTopicOrPartition)
and the producer retries them. The scoring agent waits for its batches'
outputs, two batches at most in flight, while input keeps arriving. Creating
the topic again, as a worker does at start, lets the retries through.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from streams.settings import Settings
from streams.topics import SCORES, ensure_topics
from tests.support.cluster import send_traffic
from tests.support.truth import wait_all_processed, workload
from tests.support.worker import new_worker, worker_env

pytestmark = pytest.mark.integration

STALL_SECONDS = 3


async def delete_topic(bootstrap: str, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([name])
        deadline = time.monotonic() + 30
        while name in await admin.list_topics():
            assert time.monotonic() < deadline, f"{name} still there"
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def readiness(url: str) -> tuple[int, str | None]:
    async with httpx.AsyncClient(timeout=5) as client:
        reply = await client.get(f"{url}/readyz")
    reason: str | None = reply.json()["reason"]
    return reply.status_code, reason


async def test_readyz_names_the_stalled_partition_while_the_broker_refuses_outputs(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    env = worker_env(kafka_bootstrap, None, tmp_path, HS_READY_STALL_SECONDS=str(STALL_SECONDS))
    prefix = env["HS_TOPIC_PREFIX"]
    settings = Settings(
        kafka_bootstrap=kafka_bootstrap, topic_prefix=prefix, partitions=int(env["HS_PARTITIONS"])
    )
    worker = new_worker(env, tmp_path)
    first, *later = workload("stall", accounts=60, logins_per_account=4).chunks(8)
    try:
        await asyncio.to_thread(worker.start)
        await send_traffic(kafka_bootstrap, prefix, first)
        await wait_all_processed(worker.url, first.count(), within=60)
        assert await readiness(worker.url) == (200, None)

        await delete_topic(kafka_bootstrap, settings.topic(SCORES))
        for chunk in later:  # batches of their own: more than the agent holds in flight
            await send_traffic(kafka_bootstrap, prefix, chunk)
            await asyncio.sleep(1.0)
        deadline = time.monotonic() + 60
        while (answer := await readiness(worker.url))[0] == 200:
            assert time.monotonic() < deadline, "/readyz stayed 200 through the stall"
            await asyncio.sleep(0.5)
        status, reason = answer
        assert status == 503
        # With its outputs refused the worker holds back its batches, so records
        # wait unprocessed; a batch already processed when the topic went waits
        # on its outputs, uncommitted. Either names the partition.
        pattern = (
            rf"input partition {re.escape(prefix)}[a-z.]+\[\d\] has records "
            r"(waiting and none processed|processed and not committed) for \d+ s"
        )
        assert reason is not None and re.fullmatch(pattern, reason), reason

        await ensure_topics(settings)  # the topic is back, as a worker start creates it
        total = first.count() + sum(chunk.count() for chunk in later)
        await wait_all_processed(worker.url, total, within=90)
        deadline = time.monotonic() + 30
        while (answer := await readiness(worker.url)) != (200, None):
            assert time.monotonic() < deadline, answer
            await asyncio.sleep(0.5)
        assert worker.alive()
    finally:
        await asyncio.to_thread(worker.stop)
