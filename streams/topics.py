"""The contract's Kafka topics, and creating the missing ones."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from streams.kafka_client import client_options
from streams.settings import Settings

log = logging.getLogger(__name__)

INPUT_TOPICS = ("logins", "tickets", "nps", "renewals", "accounts")
SCORES = "health.scores"
ALERTS = "health.alerts"
DLQ = "health.dlq"
# Internal: scheduled re-evaluation requests, one partition per input partition.
TICKS = "health.ticks"

COMPACTED = frozenset({"accounts", SCORES})


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str]


def topic_specs(settings: Settings) -> list[TopicSpec]:
    specs = []
    for name in (*INPUT_TOPICS, SCORES, ALERTS, DLQ, TICKS):
        config = {"cleanup.policy": "compact"} if name in COMPACTED else {}
        if name == TICKS:
            config = {"retention.ms": str(6 * 3600 * 1000)}
        specs.append(TopicSpec(settings.topic(name), settings.partitions, config))
    return specs


async def ensure_topics(settings: Settings) -> list[str]:
    """Create the contract's topics that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [spec for spec in topic_specs(settings) if spec.name not in existing]
        if not wanted:
            return []
        # Another worker may create them at the same moment.
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(
                [
                    NewTopic(
                        name=spec.name,
                        num_partitions=spec.partitions,
                        replication_factor=settings.replication_factor,
                        topic_configs=spec.config,
                    )
                    for spec in wanted
                ]
            )
        names = [spec.name for spec in wanted]
        log.info("created topics %s", ", ".join(names))
        return names
    finally:
        await admin.close()
