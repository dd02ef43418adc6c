"""Full batch envelopes fit: the topics the service creates take them, and a worker scores them."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from models.events import MAX_BATCH_EVENTS
from streams.cli.produce import messages_of_line, send_all
from streams.settings import Settings
from streams.topics import TOPIC_MAX_MESSAGE_BYTES
from tests.support.kafka_io import produce, read_until
from tests.support.worker import new_worker, worker_env

pytestmark = pytest.mark.integration


async def max_message_bytes(bootstrap: str, topics: list[str]) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic) for topic in topics]
        )
    finally:
        await admin.close()
    found: dict[str, int] = {}
    for response in responses:
        for _error, _message, _type, name, entries in response.resources:
            for entry in entries:
                if entry[0] == "max.message.bytes":
                    found[name] = int(entry[1])
    return found


def full_batch(account: str, events: int = MAX_BATCH_EVENTS) -> bytes:
    start = datetime.now(UTC) - timedelta(days=2)
    return orjson.dumps(
        [
            {
                "event_id": f"big-{n:05d}",
                "account_id": account,
                "occurred_at": (start + timedelta(seconds=10 * n)).isoformat(),
                "user_id": f"user-{n % 40:03d}",
                "role": "end_user",
                "feature": f"feature-{n % 12}",
            }
            for n in range(events)
        ]
    )


async def test_big_batch_topics_take_a_full_batch_and_a_worker_scores_it(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    env = worker_env(kafka_bootstrap, None, tmp_path, prefix=f"bigbatch{uuid.uuid4().hex[:8]}.")
    worker = new_worker(env, tmp_path)
    prefix = env["HS_TOPIC_PREFIX"]
    try:
        await asyncio.to_thread(worker.start)
        names = ["logins", "accounts", "health.scores", "health.dlq", "health.ticks"]
        topics = [prefix + name for name in names]
        changelog = f"{env['HS_APP_ID']}-account-state-changelog"
        limits = await max_message_bytes(kafka_bootstrap, [*topics, changelog])
        assert limits == {topic: TOPIC_MAX_MESSAGE_BYTES for topic in [*topics, changelog]}

        value = full_batch("bigco")
        assert len(value) > 1024 * 1024  # over the brokers' default limit, uncompressed
        await produce(kafka_bootstrap, prefix + "logins", [(b"bigco", value)])

        scores = await read_until(
            kafka_bootstrap,
            prefix + "health.scores",
            lambda records: any(record.key == b"bigco" for record in records),
            within=90,
        )
        score = next(orjson.loads(r.value) for r in scores if r.key == b"bigco" and r.value)
        assert score["account_id"] == "bigco"

        # `healthscore produce`'s path: compressed, a 25,000-event line split in three.
        line = full_batch("bigco2", 25_000)
        settings = Settings(
            kafka_bootstrap=kafka_bootstrap,
            topic_prefix=prefix,
            partitions=4,
            population_sharing=False,
        )
        sent = await send_all(settings, "logins", messages_of_line(line, "test:1"))
        assert sent == 3
        await read_until(
            kafka_bootstrap,
            prefix + "health.scores",
            lambda records: any(record.key == b"bigco2" for record in records),
            within=90,
        )
    finally:
        worker.stop()
