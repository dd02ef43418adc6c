"""Rows are written once per commit, never after it: committed offsets always have their state."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from models.model_config import load_model
from tests.support.cluster import send_traffic
from tests.support.truth import (
    Traffic,
    expected_states,
    read_changelog,
    state_differences,
    wait_all_processed,
    workload,
)
from tests.support.worker import new_worker, worker_env

pytestmark = pytest.mark.integration


async def end_offsets(
    bootstrap: str, topics: list[str], partitions: int
) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t in topics for p in range(partitions)]
        ends: dict[TopicPartition, int] = await consumer.end_offsets(tps)
        return ends
    finally:
        await consumer.stop()


async def wait_committed(
    bootstrap: str, group: str, ends: dict[TopicPartition, int], within: float = 60
) -> None:
    """Until the group has committed every input offset up to `ends`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        deadline = time.monotonic() + within
        while True:
            offsets = await admin.list_consumer_group_offsets(group)
            behind = {
                tp: (offsets[tp].offset if tp in offsets else None, end)
                for tp, end in ends.items()
                if end and (tp not in offsets or offsets[tp].offset < end)
            }
            if not behind:
                return
            assert time.monotonic() < deadline, f"not committed: {behind}"
            await asyncio.sleep(0.05)
    finally:
        await admin.close()


async def test_a_worker_killed_right_after_a_commit_left_every_row_in_the_changelog(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    env = worker_env(kafka_bootstrap, None, tmp_path)
    prefix, partitions = env["HS_TOPIC_PREFIX"], int(env["HS_PARTITIONS"])
    worker = new_worker(env, tmp_path)
    first, second = workload("commit", accounts=200, logins_per_account=12).chunks(2)
    try:
        await asyncio.to_thread(worker.start)
        for traffic in (first, second):
            await send_traffic(kafka_bootstrap, prefix, traffic)
        ends = await end_offsets(
            kafka_bootstrap, [prefix + name for name in sorted(_topics(first, second))], partitions
        )
        await wait_committed(kafka_bootstrap, env["HS_APP_ID"], ends)
        # No shutdown, no final write: only what was written before the commit is there.
        worker.kill()
        expected = expected_states([first, second], load_model(None))
        found = await read_changelog(
            kafka_bootstrap, f"{env['HS_APP_ID']}-account-state-changelog", partitions
        )
        assert not state_differences(found, expected), state_differences(found, expected)
    finally:
        await asyncio.to_thread(worker.stop)


def _topics(*traffics: Traffic) -> set[str]:
    return {name for traffic in traffics for name in traffic.by_topic}


async def test_a_worker_stopped_between_commits_writes_its_rows_before_it_goes(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    env = worker_env(kafka_bootstrap, None, tmp_path)
    worker = new_worker(env, tmp_path)
    traffic = workload("stop", accounts=100, logins_per_account=8)
    expected = expected_states([traffic], load_model(None))
    try:
        await asyncio.to_thread(worker.start)
        await send_traffic(kafka_bootstrap, env["HS_TOPIC_PREFIX"], traffic)
        await wait_all_processed(worker.url, traffic.count())
    finally:
        await asyncio.to_thread(worker.stop)
    found = await read_changelog(
        kafka_bootstrap, f"{env['HS_APP_ID']}-account-state-changelog", int(env["HS_PARTITIONS"])
    )
    assert not state_differences(found, expected), state_differences(found, expected)
