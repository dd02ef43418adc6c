"""The contract's Kafka topics, and creating the missing ones."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from models.exceptions import HealthscoreError
from streams.kafka_client import client_options
from streams.settings import Settings

log = logging.getLogger(__name__)

INPUT_TOPICS = ("logins", "tickets", "nps", "renewals", "accounts")
SCORES = "health.scores"
ALERTS = "health.alerts"
DLQ = "health.dlq"
# Internal: scheduled re-evaluation requests, one partition per input partition.
TICKS = "health.ticks"
# Internal: each account's contribution to the population (streams.topology.population_records).
POPULATION = "health.population"
# Internal: input messages that arrived on a partition other than their key's,
# on their way to the right one (streams.topology.repartition).
REPARTITION = "health.repartition"
# Topics the scoring agent reads, whose partition p holds the accounts of the
# table's partition p: they must all have HS_PARTITIONS partitions.
CO_PARTITIONED = (*INPUT_TOPICS, TICKS, REPARTITION)

COMPACTED = frozenset({"accounts", SCORES, POPULATION})

# `max.message.bytes` of every topic the service creates (and of its table's
# changelog, streams.topology.pipeline). Brokers default to about 1 MiB, less
# than one full batch envelope (10,000 events of ~130 bytes are ~1.3 MB, and
# bigger events make bigger batches). The most a message may carry is what
# validation accepts, models.validation.MAX_MESSAGE_BYTES (8 MiB, not 10,000
# times the largest event the schemas allow, which would be ~30 MB); 10 MiB
# holds that value plus key, headers and record-batch overhead, and lets a
# slightly larger value still arrive and reach health.dlq as `too_large`.
# It matches the brokers' message.max.bytes in deploy/ and the producers'
# max_request_size (streams.app, streams.kafka_client).
TOPIC_MAX_MESSAGE_BYTES = 10 * 1024 * 1024


class TopicsNotReadyError(HealthscoreError):
    """Created topics did not show up in the broker's metadata in time."""


class PartitionCountError(HealthscoreError):
    """Topics the scoring agent reads together have other partition counts than HS_PARTITIONS."""


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str]


def topic_specs(settings: Settings) -> list[TopicSpec]:
    specs = []
    names = [*INPUT_TOPICS, SCORES, ALERTS, DLQ, TICKS, REPARTITION]
    if settings.population_sharing:
        names.append(POPULATION)
    for name in names:
        config = {"max.message.bytes": str(TOPIC_MAX_MESSAGE_BYTES)}
        if name in COMPACTED:
            config["cleanup.policy"] = "compact"
        if name == TICKS:
            config["retention.ms"] = str(6 * 3600 * 1000)
        specs.append(TopicSpec(settings.topic(name), settings.partitions, config))
    return specs


async def ensure_topics(settings: Settings) -> list[str]:
    """Create the contract's topics that do not exist yet, and check that the ones
    read together have HS_PARTITIONS partitions; return the names created."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        co_partitioned = [settings.topic(name) for name in CO_PARTITIONED]
        present = [name for name in co_partitioned if name in existing]
        if present:
            counts = await partition_counts(admin, present)
            check_partition_counts(counts, settings.partitions)
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
        await _wait_until_served(admin, names)
        log.info("created topics %s", ", ".join(names))
        return names
    finally:
        await admin.close()


async def _wait_until_served(
    admin: AIOKafkaAdminClient, names: list[str], within: float = 30.0
) -> None:
    """Return once every topic has a leader for each partition.

    A just-started broker can answer CreateTopics before its metadata shows
    the topics; a worker joining its group then is assigned none of them and
    waits for a rebalance that never comes.
    """
    deadline = asyncio.get_running_loop().time() + within
    while True:
        described = await admin.describe_topics(names)
        if all(
            topic["error_code"] == 0
            and topic["partitions"]
            and all(p["leader"] >= 0 for p in topic["partitions"])
            for topic in described
        ):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TopicsNotReadyError(f"topics not served after {within:.0f} s: {names}")
        await asyncio.sleep(0.2)


async def partition_counts(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, int]:
    described = await admin.describe_topics(names)
    return {topic["topic"]: len(topic["partitions"]) for topic in described}


def check_partition_counts(counts: dict[str, int], partitions: int) -> None:
    """Raise, in one line, if topics read together differ in partition count from
    HS_PARTITIONS: an account's events on two of them would then be hashed to
    different partitions, and its state split between workers."""
    wrong = {name: count for name, count in counts.items() if count != partitions}
    if not wrong:
        return
    found = ", ".join(f"{name} has {count}" for name, count in sorted(wrong.items()))
    seen = set(counts.values())
    if len(seen) == 1:
        (only,) = seen
        hint = f"set HS_PARTITIONS={only} to match them"
    else:
        hint = (
            "give them one count and set HS_PARTITIONS to it "
            "(kafka-topics.sh --alter adds partitions, none can be removed)"
        )
    raise PartitionCountError(
        f"input topics must all have HS_PARTITIONS={partitions} partitions, but {found}; {hint}"
    )
