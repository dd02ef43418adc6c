"""Stores published health in PostgreSQL from its own agent.

It consumes `health.scores`, not the scoring agent's hands: a slow or absent
database slows only this agent, and offsets are committed only after a batch
is written, so nothing is lost while PostgreSQL is away.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import faust

from models.health import Health
from sinks.metrics import Metrics
from sinks.postgres import apply_migrations, create_pool, write_health
from streams.pipeline import Pipeline

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
BATCH_SECONDS = 1.0
RETRY_MAX_SECONDS = 30.0
T = TypeVar("T")


POSTGRES_DOWN = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


async def retry_while_postgres_is_down(
    action: Callable[[], Awaitable[T]],
    doing: str,
    on_failure: Callable[[], object] = lambda: None,
) -> T:
    """Run `action` until PostgreSQL lets it succeed, backing off up to RETRY_MAX_SECONDS."""
    delay = 0.5
    while True:
        try:
            return await action()
        except POSTGRES_DOWN as exc:
            on_failure()
            log.warning("%s failed (%s); retrying in %.1f s", doing, type(exc).__name__, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)


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
        return await retry_while_postgres_is_down(self.connect, "connecting to PostgreSQL")

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


async def write_with_retry(database: Database, batch: list[Health], metrics: Metrics) -> None:
    """Write until it succeeds: the batch's offsets are not committed before that."""

    async def write() -> None:
        await write_health(await database.connect(), batch)

    await retry_while_postgres_is_down(
        write, f"writing {len(batch)} health rows", on_failure=metrics.pg_write_failures.inc
    )
    metrics.pg_rows.labels("score_history").inc(len(batch))


def attach_storage(app: faust.App, pipeline: Pipeline, database: Database) -> None:
    @app.agent(pipeline.scores_topic, name="store-health")
    async def store_health(stream: faust.StreamT[bytes]) -> None:
        async for values in stream.take(BATCH_SIZE, within=BATCH_SECONDS):
            batch = [Health.model_validate_json(value) for value in values if value]
            if batch:
                await write_with_retry(database, batch, pipeline.metrics)

    @app.task  # type: ignore[untyped-decorator]
    async def migrate_at_start() -> None:
        await database.wait_for_pool()
