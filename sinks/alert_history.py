"""Alert history and delivery outcomes in PostgreSQL (tables from migrations/002_alerts.sql).

Functions take an asyncpg pool. JSON columns are sent as text and cast
(`$n::text::jsonb`), so they work with or without a jsonb codec on the pool.
"""

from __future__ import annotations

import json
from datetime import datetime

import asyncpg

from models.alerting.event import AlertEvent
from sinks.delivery import DeliveryAttempt, DeliveryOutcome

_INSERT_ALERT = """
INSERT INTO alerts (event_id, dedup_key, account_id, kind, status, severity, score, band,
    previous_band, segment, csm_owner, arr, episode_started_at, at, summary, drivers, payload)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
    $16::text::jsonb, $17::text::jsonb)
ON CONFLICT (event_id) DO NOTHING
"""

_INSERT_ATTEMPT = """
INSERT INTO alert_deliveries (event_id, sink, attempt, outcome, http_status, error, at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""

# A late or replayed attempt never overrides a delivery that already succeeded.
_UPSERT_STATUS = """
INSERT INTO alert_delivery_status AS s (event_id, sink, outcome, attempts, http_status, error,
    first_attempt_at, updated_at)
VALUES ($1, $2, $3, 1, $4, $5, $6, $6)
ON CONFLICT (event_id, sink) DO UPDATE SET
    outcome = EXCLUDED.outcome, attempts = s.attempts + 1, http_status = EXCLUDED.http_status,
    error = EXCLUDED.error, updated_at = EXCLUDED.updated_at
WHERE s.outcome <> 'delivered'
"""

_IS_DELIVERED = """
SELECT EXISTS (SELECT 1 FROM alert_delivery_status
               WHERE event_id = $1 AND sink = $2 AND outcome = 'delivered')
"""

_UNDELIVERED = """
SELECT a.payload::text AS payload, s.sink
FROM alert_delivery_status s JOIN alerts a USING (event_id)
WHERE (s.outcome = 'failed' OR (s.outcome = 'retrying' AND s.updated_at < $1))
    AND ($3::text IS NULL OR a.account_id = $3)
ORDER BY a.at, a.event_id, s.sink
LIMIT $2
"""


async def record_alert(pool: asyncpg.Pool, alert: AlertEvent) -> None:
    """Store `alert`; storing the same event_id again changes nothing."""
    payload = alert.model_dump(mode="json")
    await pool.execute(
        _INSERT_ALERT,
        alert.event_id,
        alert.dedup_key,
        alert.account_id,
        alert.kind.value,
        alert.status.value,
        alert.severity.value,
        alert.score,
        alert.band.value,
        alert.previous_band.value if alert.previous_band else None,
        alert.segment,
        alert.csm_owner,
        alert.arr,
        alert.episode_started_at,
        alert.at,
        alert.summary,
        json.dumps(payload["drivers"]),
        json.dumps(payload),
    )


async def record_attempt(pool: asyncpg.Pool, attempt: DeliveryAttempt) -> None:
    """Append one attempt to `alert_deliveries` and update the (event_id, sink) status."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            _INSERT_ATTEMPT,
            attempt.event_id,
            attempt.sink,
            attempt.attempt,
            attempt.outcome.value,
            attempt.http_status,
            attempt.error,
            attempt.at,
        )
        await connection.execute(
            _UPSERT_STATUS,
            attempt.event_id,
            attempt.sink,
            attempt.outcome.value,
            attempt.http_status,
            attempt.error,
            attempt.at,
        )


async def is_delivered(pool: asyncpg.Pool, event_id: str, sink: str) -> bool:
    return bool(await pool.fetchval(_IS_DELIVERED, event_id, sink))


async def undelivered(
    pool: asyncpg.Pool,
    *,
    retrying_before: datetime,
    limit: int = 1000,
    account_id: str | None = None,
) -> list[tuple[AlertEvent, str]]:
    """(alert, sink) pairs whose delivery failed, or is stuck retrying since `retrying_before`."""
    rows = await pool.fetch(_UNDELIVERED, retrying_before, limit, account_id)
    return [(AlertEvent.model_validate_json(row["payload"]), row["sink"]) for row in rows]


async def delivery_status(pool: asyncpg.Pool, event_id: str, sink: str) -> DeliveryOutcome | None:
    """The current outcome for (event_id, sink), or None if never attempted."""
    value = await pool.fetchval(
        "SELECT outcome FROM alert_delivery_status WHERE event_id = $1 AND sink = $2",
        event_id,
        sink,
    )
    return None if value is None else DeliveryOutcome(value)


class PostgresRecorder:
    """The production `DeliveryRecorder`: history in PostgreSQL, shared by all workers."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def record_alert(self, alert: AlertEvent) -> None:
        await record_alert(self._pool, alert)

    async def is_delivered(self, event_id: str, sink: str) -> bool:
        return await is_delivered(self._pool, event_id, sink)

    async def record_attempt(self, alert: AlertEvent, attempt: DeliveryAttempt) -> None:
        await record_attempt(self._pool, attempt)
