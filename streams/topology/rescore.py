"""Re-evaluating silent accounts: the scheduled requests that let a score decay.

Silence is a signal, so every account a worker owns is re-evaluated on a
schedule, a slice at a time, through the ticks topic (table writes need an
event of the account's partition).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
from aiokafka.partitioner import murmur2

from streams.topics import TICKS

if TYPE_CHECKING:
    from streams.topology.pipeline import Pipeline

TICK_CHUNK = 500
# Up to 5,000 accounts re-evaluated per HS_RESCORE_INTERVAL_SECONDS, in ten
# steps: one burst of 5,000 evaluations would hold up fresh events for ~1 s.
RESCORE_PER_INTERVAL = 5_000
RESCORE_STEPS = 10


def partition_of(account_id: str, partitions: int) -> int:
    """The partition Kafka's default (murmur2) partitioner gives this key."""
    return int(murmur2(account_id.encode()) & 0x7FFFFFFF) % partitions


def owned_partitions(pipeline: Pipeline) -> set[int]:
    ticks = pipeline.settings.topic(TICKS)
    return {tp.partition for tp in pipeline.app.consumer.assignment() if tp.topic == ticks}


async def request_rescores(pipeline: Pipeline, slice_size: int = RESCORE_PER_INTERVAL) -> int:
    """Ask this worker's partitions to re-evaluate the next slice of its accounts.

    Silence is a signal: scores decay with time alone. Each run takes the next
    `slice_size` accounts of a pass over all of the worker's accounts, so the
    cost is bounded and spread; only real changes are published. Accounts
    whose alerts wait on the clock (a pending `for`) are taken on every run,
    so they fire on time however long the pass. Requests go through the ticks
    topic, because table writes need an event of the account's partition.
    """
    owned = owned_partitions(pipeline)
    pipeline.census.keep(owned)
    pipeline.census.publish(pipeline.metrics)
    if not owned:
        return 0
    partitions = pipeline.settings.partitions
    if not pipeline.rescore_queue:
        pipeline.rescore_queue.extend(
            key for key in list(pipeline.table.keys()) if partition_of(key, partitions) in owned
        )
    watched = pipeline.processor.watched
    for account_id in [a for a in watched if partition_of(a, partitions) not in owned]:
        watched.discard(account_id)
    chosen = list(dict.fromkeys([*watched, *pipeline.rescore_queue[:slice_size]]))
    del pipeline.rescore_queue[:slice_size]
    by_partition: dict[int, list[str]] = {}
    for account_id in chosen:
        by_partition.setdefault(partition_of(account_id, partitions), []).append(account_id)
    for partition, ids in by_partition.items():
        if partition not in owned:
            continue
        for start in range(0, len(ids), TICK_CHUNK):
            chunk = ids[start : start + TICK_CHUNK]
            await pipeline.ticks_topic.send(value=orjson.dumps(chunk), partition=partition)
    return len(chosen)
