"""Every worker reads all of `health.population` into its own population.

The topic is compacted and keyed by account: read from the beginning, it
holds every account's latest contribution, whichever worker published it.
The reader is a plain consumer outside the worker's consumer group (no
group id, no commits): every worker reads every partition, starts at the
beginning each time it starts, and then follows the topic. Workers that have
read the same records hold the same population, whatever the order of
different accounts' records (models.population).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from functools import partial

import faust
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition

from models.population import Population
from sinks.metrics import Metrics
from streams.kafka_client import client_options
from streams.settings import Settings
from streams.topology.population_records import decode_contribution
from streams.topology.population_share import PopulationShare

log = logging.getLogger(__name__)

MAX_RECORDS = 5_000  # applied per turn (a few ms), so scoring is never held up long
POLL_MS = 1_000
RETRY_SECONDS = 5.0


class PopulationReader:
    """Applies `health.population` to `population`: a record puts the account's
    contribution, a tombstone removes it, an unreadable record is skipped."""

    def __init__(
        self,
        consumer: Callable[[], AIOKafkaConsumer],
        population: Population,
        metrics: Metrics,
    ) -> None:
        # A callable: a consumer that failed is replaced by a new one.
        self.consumer = consumer
        self.population = population
        self.metrics = metrics
        # Set once the reader has read up to where the topic ended when it started.
        self.caught_up = asyncio.Event()
        self._read = metrics.population_records.labels("read")

    def apply(self, records: Iterable[ConsumerRecord[bytes, bytes]]) -> int:
        """Apply records to the population; how many were read."""
        population = self.population
        read = unreadable = 0
        for record in records:
            read += 1
            key = record.key
            if not key:
                unreadable += 1
                continue
            try:
                account_id = key.decode()
            except UnicodeDecodeError:
                unreadable += 1
                continue
            if record.value is None:
                population.remove(account_id)
                continue
            contribution = decode_contribution(record.value)
            if contribution is None:
                unreadable += 1
                continue
            population.put(account_id, contribution)
        self._read.inc(read)
        if unreadable:
            self.metrics.population_unreadable.inc(unreadable)
        return read

    async def run(self) -> None:
        """Read the topic until cancelled; a broker error starts the reading over."""
        while True:
            try:
                await self._read_from_the_beginning()
            except (KafkaError, OSError) as exc:
                log.warning(
                    "reading the population failed (%r); reading it again in %.0f s",
                    exc,
                    RETRY_SECONDS,
                )
                await asyncio.sleep(RETRY_SECONDS)

    async def _read_from_the_beginning(self) -> None:
        consumer = self.consumer()
        await consumer.start()
        try:
            await consumer.seek_to_beginning()
            ends = await consumer.end_offsets(list(consumer.assignment()))
            while True:
                fetched = await consumer.getmany(timeout_ms=POLL_MS, max_records=MAX_RECORDS)
                for records in fetched.values():
                    self.apply(records)
                if not self.caught_up.is_set() and await _reached(consumer, ends):
                    self.caught_up.set()
                    log.info("population read: %d accounts", len(self.population))
        finally:
            await consumer.stop()


async def _reached(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    """Whether the consumer has read every partition up to `ends`."""
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return False
    return True


def attach_population_reader(app: faust.App, settings: Settings, share: PopulationShare) -> None:
    """Read `health.population` into the worker's population for as long as the app runs."""
    if share.topic is None:
        return
    consumer = partial(
        AIOKafkaConsumer,
        share.topic,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **client_options(settings),
    )
    reader = PopulationReader(consumer, share.population, share.metrics)

    @app.task  # type: ignore[untyped-decorator]
    async def read_population() -> None:
        await reader.run()
