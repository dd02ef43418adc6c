"""Producers that partition differently cannot split an account's state, and topics
with the wrong partition count stop a worker before it reads anything."""

from __future__ import annotations

import asyncio
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.partitioner import murmur2
from confluent_kafka import Producer as LibrdkafkaProducer

from models.model_config import load_model
from tests.support.cluster import cluster, send_traffic, start_all, stop_all
from tests.support.truth import (
    Traffic,
    changelog_rows,
    expected_states,
    state_differences,
    wait_for_states,
    workload,
)
from tests.support.worker import new_worker, worker_env

pytestmark = pytest.mark.integration

PARTITIONS = 4


def murmur2_partition(key: bytes) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % PARTITIONS


def nps_answers(accounts: list[str]) -> Traffic:
    traffic = Traffic()
    for n, account in enumerate(accounts):
        traffic.add(
            "nps",
            {
                "event_id": f"{account}-nps",
                "account_id": account,
                "occurred_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
                "respondent_id": f"r{n}",
                "score": n % 11,
            },
        )
    return traffic


def produce_with_librdkafka(
    bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]
) -> None:
    """What kcat, confluent-kafka, Go and .NET producers do by default: librdkafka's
    `consistent_random` partitioner, CRC32 of the key."""
    producer = LibrdkafkaProducer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for key, value in messages:
        producer.produce(topic, value=value, key=key)
        producer.poll(0)
    assert producer.flush(30) == 0


async def repartitioned(url: str) -> dict[str, float]:
    async with httpx.AsyncClient(timeout=5) as client:
        text = (await client.get(f"{url}/metrics")).text
    counts: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("healthscore_repartitioned_messages_total{"):
            labels, value = line.rsplit(" ", 1)
            topic = labels.split('topic="', 1)[1].split('"', 1)[0]
            counts[topic] = float(value)
    return counts


async def test_logins_from_librdkafka_and_nps_from_aiokafka_meet_in_one_state_per_account(
    kafka_bootstrap: str, pg_dsn: str, tmp_path: Path
) -> None:
    env = worker_env(kafka_bootstrap, pg_dsn, tmp_path, HS_PARTITIONS=str(PARTITIONS))
    prefix = env["HS_TOPIC_PREFIX"]
    workers = cluster(env, tmp_path, 2)
    logins = workload("split", accounts=24, logins_per_account=6)
    accounts = sorted({key.decode() for key, _ in logins.by_topic["logins"]})
    nps = nps_answers(accounts)
    # The messages librdkafka puts elsewhere than murmur2 would: they must be moved.
    misplaced = [
        key
        for key, _ in logins.by_topic["logins"]
        if zlib.crc32(key) % PARTITIONS != murmur2_partition(key)
    ]
    assert misplaced, "the workload must hold keys the two partitioners place apart"
    try:
        await start_all(workers)
        await send_traffic(
            kafka_bootstrap, prefix, Traffic({"accounts": logins.by_topic["accounts"]})
        )
        await asyncio.to_thread(
            produce_with_librdkafka, kafka_bootstrap, prefix + "logins", logins.by_topic["logins"]
        )
        await send_traffic(kafka_bootstrap, prefix, nps)

        expected = expected_states([logins, nps], load_model(None))
        found = await wait_for_states(kafka_bootstrap, env, expected)
        assert not state_differences(found, expected), state_differences(found, expected)

        # Each account has one row, on the partition its key hashes to.
        rows = await changelog_rows(
            kafka_bootstrap, f"{env['HS_APP_ID']}-account-state-changelog", PARTITIONS
        )
        placed = {account: set(by_partition) for account, by_partition in rows.items()}
        assert placed == {a: {murmur2_partition(a.encode())} for a in accounts}

        # Every worker answers for every account with both halves in its health.
        async with httpx.AsyncClient(timeout=5) as client:
            for worker in workers:
                for account in accounts:
                    body = (await client.get(f"{worker.url}/accounts/{account}")).json()
                    components = body["components"]
                    assert components["engagement"] is not None, (account, body)
                    assert components["sentiment"] is not None, (account, body)

        moved = [await repartitioned(w.url) for w in workers]
        assert sum(m.get("logins", 0) for m in moved) == len(misplaced)
        assert sum(m.get("nps", 0) + m.get("accounts", 0) for m in moved) == 0
    finally:
        await stop_all(workers)


async def test_an_input_topic_with_another_partition_count_stops_the_worker_in_one_line(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    env = worker_env(kafka_bootstrap, None, tmp_path, HS_PARTITIONS=str(PARTITIONS))
    prefix = env["HS_TOPIC_PREFIX"]
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(prefix + "nps", 6, 1)])
    finally:
        await admin.close()
    worker = new_worker(env, tmp_path)
    worker.launch()
    assert worker.process is not None
    code = await asyncio.to_thread(worker.process.wait, 60)
    worker.stop()
    assert code == 2
    output = worker.log_path.read_text().strip().splitlines()
    assert output[-1] == (
        f"healthscore: input topics must all have HS_PARTITIONS={PARTITIONS} partitions, "
        f"but {prefix}nps has 6; set HS_PARTITIONS=6 to match them"
    ), output[-5:]
    # Nothing was created before the check stopped it.
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        assert [t for t in await admin.list_topics() if t.startswith(prefix)] == [prefix + "nps"]
    finally:
        await admin.close()
