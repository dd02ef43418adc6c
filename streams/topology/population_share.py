"""A worker's population: what its scores rank in, and the records it publishes to it.

Every worker holds one `Population` (models.population). The processor offers
each account's ranked measures after scoring it; when the account's
contribution (segment and bins) differs from the one the population holds,
the population takes it at once and a record for `health.population` is
queued. `send` hands the queued records to the producer after each batch.
The worker's `PopulationReader` (streams.topology.population_reader) applies every
worker's records, its own included, to the same population: a record read
back changes nothing, and a record of another worker that the account's
owner has since outdated makes the owner publish again at its next evaluation,
so the topic converges on every account's latest contribution.

Population records are advisory. Their sends are not among those a batch's
offsets wait for, and a failed one is counted
(`healthscore_population_publish_failures_total`) and dropped: the account
is published again when its contribution next changes, or after a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

from models.population import Contribution, Population
from sinks.metrics import Metrics
from streams.engine.record_batches import RecordBatches, SentBatch
from streams.topology.population_records import encode_contribution

log = logging.getLogger(__name__)


class PopulationShare:
    """The worker's population, and the records its own accounts owe `health.population`.

    With no `topic` (sharing turned off) the population holds this worker's
    own accounts only, and nothing is published.
    """

    def __init__(
        self,
        population: Population,
        metrics: Metrics,
        batches: RecordBatches | None = None,
        topic: str | None = None,
    ) -> None:
        self.population = population
        self.batches = batches if topic is not None else None
        self.topic = topic
        self.metrics = metrics
        # Per account, its latest contribution not yet sent (None: a tombstone).
        self.outbox: dict[str, Contribution | None] = {}
        self._published = metrics.population_records.labels("published")
        metrics.population_accounts.set_function(population.__len__)

    def offer(self, account_id: str, segment: str | None, measures: Mapping[str, float]) -> None:
        """The account's ranked measures as of its latest score; queued for
        publishing when its contribution changed. No measures: it leaves the population."""
        population = self.population
        contribution: Contribution | None
        if measures:
            contribution = population.contribution(segment, measures)
            if not population.put(account_id, contribution):
                return
        elif account_id in population:
            population.remove(account_id)
            contribution = None
        else:
            return
        if self.batches is not None:
            self.outbox[account_id] = contribution

    async def send(self) -> int:
        """Hand the queued records to the producer; how many. Never raises: a
        failure is counted and logged, and the records are dropped."""
        if not self.outbox:
            return 0
        outbox, self.outbox = self.outbox, {}
        batches, topic = self.batches, self.topic
        assert batches is not None and topic is not None  # the outbox fills only then
        try:
            # Every record placed first: a partition lookup that fails leaves nothing half-built.
            records = []
            for account_id, contribution in outbox.items():
                key = account_id.encode()
                partition = await batches.partition_for(topic, key)
                records.append((key, partition, encode_contribution(contribution)))
            for key, partition, value in records:
                batches.append(topic, partition, key, value)
            sends = await batches.send()
        except Exception as exc:
            self._failed(len(outbox), exc)
            return 0
        for sent in sends:
            asyncio.ensure_future(sent.sent).add_done_callback(partial(self._settled, sent))
        return len(records)

    def _settled(self, sent: SentBatch, done: asyncio.Future[Any]) -> None:
        if done.cancelled():
            self._failed(sent.records, asyncio.CancelledError())
        elif (exc := done.exception()) is not None:
            self._failed(sent.records, exc)
        else:
            self._published.inc(sent.records)

    def _failed(self, records: int, exc: BaseException) -> None:
        self.metrics.population_publish_failures.inc(records)
        log.warning(
            "%d %s record(s) not published (%r); ranks elsewhere catch up when the "
            "accounts' contributions next change",
            records,
            self.topic,
            exc,
        )
