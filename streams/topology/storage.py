"""Stores published health in PostgreSQL from its own agent.

It consumes `health.scores`, not the scoring agent's hands: a slow or absent
database slows only this agent, and offsets are committed only after a batch
is written, so nothing is lost while PostgreSQL is away.

A record it cannot use goes to `health.dlq` (reason `unusable_output`) and
the agent goes on: one that is not a health, and one PostgreSQL refuses as
data (see sinks.postgres_faults), found by writing the refused batch again in
halves so the rest of it is still written. Dead letters are confirmed by the
broker before the batch's offsets can be committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

import asyncpg
import faust
from faust.types import EventT
from pydantic import ValidationError

from models.health import Health
from models.validation import Rejection, RejectReason, describe_validation_error
from sinks.metrics import Metrics
from sinks.postgres import apply_migrations, create_pool, write_health
from sinks.postgres_faults import describe, retry_transient, write_isolating
from sinks.renewals import write_renewal_settings
from streams.topics import DLQ, SCORES
from streams.topology.dead_letter_sender import DeadLetterSender
from streams.topology.pipeline import Pipeline, raw_topic

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
BATCH_SECONDS = 1.0

# Connecting and migrating are never a record's fault: every failure is waited out.
CONNECTING_FAILURES = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Database:
    """A lazily connected, migrated pool; reconnects with backoff when PostgreSQL is away."""

    def __init__(self, dsn: str | None) -> None:
        self._dsn = dsn
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()

    @property
    def configured(self) -> bool:
        return self._dsn is not None

    async def pool_if_ready(self) -> asyncpg.Pool | None:
        """The pool when connected, else None (callers fall back to other answers)."""
        if self._pool is not None or self._dsn is None:
            return self._pool
        try:
            return await asyncio.wait_for(self.connect(), timeout=2.0)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return None

    async def connect(self) -> asyncpg.Pool:
        assert self._dsn is not None
        async with self._lock:
            if self._pool is None:
                pool = await create_pool(self._dsn)
                await apply_migrations(pool)
                self._pool = pool
            return self._pool

    async def wait_for_pool(self) -> asyncpg.Pool:
        return await retry_transient(
            self.connect,
            "connecting to PostgreSQL",
            transient=lambda exc: isinstance(exc, CONNECTING_FAILURES),
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


Received = tuple[Health, EventT[Any]]


class HealthStorage:
    """Writes batches of consumed `health.scores` records; dead-letters what it cannot use."""

    def __init__(
        self, database: Database, dead_letters: DeadLetterSender, metrics: Metrics
    ) -> None:
        self.database = database
        self.dead_letters = dead_letters
        self.metrics = metrics

    async def store(self, events: Sequence[EventT[Any]]) -> None:
        """Returns once every record is written or confirmed in the DLQ."""
        received: list[Received] = []
        for event in events:
            value = event.message.value
            if not value:  # a tombstone on the compacted topic: nothing to store
                continue
            try:
                received.append((Health.model_validate_json(value), event))
            except ValidationError as exc:
                detail = f"not a health: {describe_validation_error(exc)}"
                await self._dead_letter(event, detail)
        if not received:
            return
        pool = await self.database.wait_for_pool()

        async def write(rows: Sequence[Received]) -> None:
            await write_health(pool, [health for health, _ in rows])

        async def retry(attempt: Callable[[], Awaitable[None]]) -> None:
            await retry_transient(
                attempt,
                f"writing {len(received)} health rows",
                on_failure=self.metrics.pg_write_failures.inc,
            )

        refused = await write_isolating(received, write, retry)
        for (_, event), error in refused:
            await self._dead_letter(event, f"refused by PostgreSQL: {describe(error)}")
        self.metrics.pg_rows.labels("score_history").inc(len(received) - len(refused))

    async def _dead_letter(self, event: EventT[Any], detail: str) -> None:
        rejection = Rejection(RejectReason.UNUSABLE_OUTPUT, detail, event.message.value)
        await self.dead_letters.send(event.message, rejection)


def attach_storage(app: faust.App, pipeline: Pipeline, database: Database) -> None:
    dlq = raw_topic(app, pipeline.settings.topic(DLQ))
    storage = HealthStorage(
        database, DeadLetterSender(dlq, pipeline.metrics.dlq_messages, SCORES), pipeline.metrics
    )

    @app.agent(pipeline.scores_topic, name="store-health")
    async def store_health(stream: faust.StreamT[bytes]) -> None:
        # Events, not values: a dead letter needs each record's partition, offset,
        # key and headers. Faust acknowledges them once this body is done with them.
        batches = cast("faust.Stream[bytes]", stream).take_events(BATCH_SIZE, within=BATCH_SECONDS)
        async for events in batches:
            await storage.store(events)

    @app.task  # type: ignore[untyped-decorator]
    async def migrate_at_start() -> None:
        pool = await database.wait_for_pool()
        model = pipeline.model
        # The renewal desk's SQL views count as this worker's model says.
        await retry_transient(
            lambda: write_renewal_settings(pool, model.renewals, model.version),
            "writing the renewal settings",
        )
