"""PostgreSQL: connection pool, start-up migrations, and batched health writes."""

from __future__ import annotations

import json
import logging
from importlib.resources import files
from typing import Any

import asyncpg

from models.health import Health, evaluation_key
from sinks.experience import UPSERT_EXPERIENCE_DAYS, experience, experience_day_rows
from sinks.growth import UPDATE_GROWTH, growth_rows
from sinks.renewals import UPSERT_RENEWALS, renewal_rows

log = logging.getLogger(__name__)

_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name       text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
# Serialises concurrent start-ups of several workers against one database.
_MIGRATION_LOCK = 7_140_423_511


async def create_pool(dsn: str) -> asyncpg.Pool:
    async def init(connection: asyncpg.Connection) -> None:
        await connection.set_type_codec(
            "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )

    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4, init=init, command_timeout=30)
    assert pool is not None
    return pool


def migration_files() -> list[tuple[str, str]]:
    folder = files("sinks") / "migrations"
    found = [
        (entry.name, entry.read_text()) for entry in folder.iterdir() if entry.name.endswith(".sql")
    ]
    return sorted(found)


async def apply_migrations(pool: asyncpg.Pool) -> list[str]:
    """Apply each sinks/migrations/*.sql once, in name order; return those applied now."""
    applied: list[str] = []
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        await connection.execute(_MIGRATIONS_TABLE)
        done = {row["name"] for row in await connection.fetch("SELECT name FROM schema_migrations")}
        for name, sql in migration_files():
            if name in done:
                continue
            await connection.execute(sql)
            await connection.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            applied.append(name)
    if applied:
        log.info("applied migrations: %s", ", ".join(applied))
    return applied


_UPSERT_CURRENT = """
INSERT INTO account_health (account_id, name, segment, region, line_of_business, csm_owner,
    lifecycle_stage, arr, renewal_date, score, band, confidence, components, drivers,
    model_version, state_version, updated_at, last_event_at,
    lifecycle_status, churned_on, arr_lost, resurrected_on, lifecycle, contracts, experience)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
    $19, $20, $21, $22, $23, $24, $25)
ON CONFLICT (account_id) DO UPDATE SET
    name = EXCLUDED.name, segment = EXCLUDED.segment, region = EXCLUDED.region,
    line_of_business = EXCLUDED.line_of_business, csm_owner = EXCLUDED.csm_owner,
    lifecycle_stage = EXCLUDED.lifecycle_stage, arr = EXCLUDED.arr,
    renewal_date = EXCLUDED.renewal_date, score = EXCLUDED.score, band = EXCLUDED.band,
    confidence = EXCLUDED.confidence, components = EXCLUDED.components,
    drivers = EXCLUDED.drivers, model_version = EXCLUDED.model_version,
    state_version = EXCLUDED.state_version, updated_at = EXCLUDED.updated_at,
    last_event_at = EXCLUDED.last_event_at,
    lifecycle_status = EXCLUDED.lifecycle_status, churned_on = EXCLUDED.churned_on,
    arr_lost = EXCLUDED.arr_lost, resurrected_on = EXCLUDED.resurrected_on,
    lifecycle = EXCLUDED.lifecycle, contracts = EXCLUDED.contracts,
    experience = EXCLUDED.experience
WHERE account_health.updated_at <= EXCLUDED.updated_at
"""

# One row per evaluation (see models.health.evaluation_key), whenever it was made.
_INSERT_HISTORY = """
INSERT INTO score_history (account_id, evaluation_key, state_version, at, score, band,
    confidence, components, drivers, model_version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (account_id, evaluation_key) DO NOTHING
"""


def _drivers(health: Health) -> list[dict[str, Any]]:
    return [driver.model_dump() for driver in health.drivers]


def _lifecycle(health: Health) -> tuple[Any, ...]:
    """The lifecycle columns: status, churned_on, arr_lost, resurrected_on and the whole
    lifecycle as JSON (all null for a health published before lifecycles were tracked)."""
    lifecycle = health.lifecycle
    if lifecycle is None:
        return (None, None, None, None, None)
    return (
        lifecycle.status.value,
        lifecycle.churned_on,
        lifecycle.arr_lost,
        lifecycle.resurrected_on,
        lifecycle.model_dump(mode="json"),
    )


def _contracts(health: Health) -> list[dict[str, Any]] | None:
    if health.contracts is None:
        return None
    return [contract.model_dump(mode="json") for contract in health.contracts]


async def write_health(pool: asyncpg.Pool, batch: list[Health]) -> None:
    """Store a batch of health changes, their growth, the renewal records and the
    customer-experience counts they carry, in one transaction. Idempotent: a replayed
    batch, or the same evaluation made again at a later clock, adds no history row and
    moves no renewal record or day's counts back."""
    latest: dict[str, Health] = {}
    for health in batch:
        seen = latest.get(health.account_id)
        if seen is None or seen.updated_at <= health.updated_at:
            latest[health.account_id] = health
    ordered = sorted(latest.values(), key=lambda h: h.account_id)
    current = [
        (
            h.account_id,
            h.name,
            h.segment,
            h.region,
            h.line_of_business,
            h.csm_owner,
            h.lifecycle_stage,
            h.arr,
            h.renewal_date,
            h.score,
            h.band.value,
            h.confidence,
            h.components,
            _drivers(h),
            h.model_version,
            h.state_version,
            h.updated_at,
            h.last_event_at,
            *_lifecycle(h),
            _contracts(h),
            experience(h),
        )
        for h in ordered
    ]
    history = [
        (
            h.account_id,
            evaluation_key(h),
            h.state_version,
            h.updated_at,
            h.score,
            h.band.value,
            h.confidence,
            h.components,
            _drivers(h),
            h.model_version,
        )
        for h in batch
    ]
    async with pool.acquire() as connection, connection.transaction():
        await connection.executemany(_UPSERT_CURRENT, current)
        await connection.executemany(UPDATE_GROWTH, growth_rows(ordered))
        await connection.executemany(_INSERT_HISTORY, history)
        await connection.executemany(UPSERT_RENEWALS, renewal_rows(batch))
        await connection.executemany(UPSERT_EXPERIENCE_DAYS, experience_day_rows(batch))
