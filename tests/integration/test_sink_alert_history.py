"""Alert history in the real PostgreSQL: idempotent records, skip-if-delivered, resend."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from models.alerting.event import AlertEvent
from sinks.alert_history import (
    PostgresRecorder,
    delivery_status,
    record_alert,
    record_attempt,
)
from sinks.delivery import DeliveryAttempt, DeliveryOutcome, deliver
from sinks.postgres import apply_migrations, create_pool
from sinks.rate_limit import TokenBucket
from sinks.resend import resend_failed
from sinks.retry import RetryPolicy
from sinks.slack import SlackSink
from sinks.webhook import WebhookSink
from tests.integration.alert_samples import sample_alert
from tests.integration.sink_receiver import Receiver, Reply

POLICY = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.005)


@pytest.fixture
async def pool(pg_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(pg_dsn)
    await apply_migrations(pool)
    try:
        yield pool
    finally:
        await pool.close()


def fresh_alert() -> AlertEvent:
    account = f"acct-{uuid.uuid4().hex[:12]}"
    return sample_alert(
        account_id=account,
        dedup_key=f"{account}:band_entered",
        event_id=f"{account}:band_entered:2025-03-01T09:15:00+00:00:firing:0",
    )


def slack(client: httpx.AsyncClient, receiver: Receiver) -> SlackSink:
    fast = TokenBucket(rate=1000, burst=100)
    return SlackSink(client, SecretStr(receiver.url + "/services/T/B/x"), rate_limiter=fast)


async def attempts(pool: asyncpg.Pool, event_id: str) -> list[tuple[str, int, str, int | None]]:
    rows = await pool.fetch(
        "SELECT sink, attempt, outcome, http_status FROM alert_deliveries"
        " WHERE event_id = $1 ORDER BY id",
        event_id,
    )
    return [(r["sink"], r["attempt"], r["outcome"], r["http_status"]) for r in rows]


async def test_migrations_are_idempotent_and_an_alert_is_stored_once(pool: asyncpg.Pool) -> None:
    assert await apply_migrations(pool) == []
    alert = fresh_alert()
    await record_alert(pool, alert)
    await record_alert(pool, alert)
    rows = await pool.fetch(
        "SELECT kind, status, severity, score, band, payload::text AS payload,"
        " jsonb_array_length(drivers) AS drivers FROM alerts WHERE event_id = $1",
        alert.event_id,
    )
    [row] = rows
    assert (row["kind"], row["status"], row["severity"], row["band"]) == (
        "band_entered",
        "firing",
        "critical",
        "critical",
    )
    assert row["drivers"] == 3
    assert AlertEvent.model_validate_json(row["payload"]) == alert


async def test_every_attempt_is_recorded_and_a_replay_is_not_sent_again(
    pool: asyncpg.Pool, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.script(Reply(429, "rate_limited", {"Retry-After": "0"}))
    alert = fresh_alert()
    sinks = [slack(client, receiver)]
    outcomes = await deliver(alert, sinks, PostgresRecorder(pool), policy=POLICY)
    assert outcomes == {"slack": DeliveryOutcome.DELIVERED}
    assert await attempts(pool, alert.event_id) == [
        ("slack", 1, "retrying", 429),
        ("slack", 2, "delivered", None),
    ]
    assert await delivery_status(pool, alert.event_id, "slack") is DeliveryOutcome.DELIVERED

    # The worker restarted and replays the alert: nothing is sent or recorded twice.
    fresh_recorder = PostgresRecorder(pool)
    assert await deliver(alert, sinks, fresh_recorder, policy=POLICY) == outcomes
    assert len(receiver.requests) == 2
    assert len(await attempts(pool, alert.event_id)) == 2


async def test_a_rejected_delivery_is_kept_and_resent(
    pool: asyncpg.Pool, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.script(Reply(400, "invalid_payload"))
    alert = fresh_alert()
    sinks = [slack(client, receiver)]
    assert await deliver(alert, sinks, PostgresRecorder(pool), policy=POLICY) == {
        "slack": DeliveryOutcome.FAILED
    }
    assert await delivery_status(pool, alert.event_id, "slack") is DeliveryOutcome.FAILED

    resent = await resend_failed(pool, sinks, policy=POLICY, account_id=alert.account_id)
    assert resent == 1
    assert await delivery_status(pool, alert.event_id, "slack") is DeliveryOutcome.DELIVERED
    assert receiver.requests[0].body == receiver.requests[1].body
    assert [a[2] for a in await attempts(pool, alert.event_id)] == ["failed", "delivered"]
    sent = len(receiver.requests)
    assert await resend_failed(pool, sinks, policy=POLICY, account_id=alert.account_id) == 0
    assert len(receiver.requests) == sent  # delivered ones are never resent


async def test_stuck_retrying_is_resent_and_unconfigured_sinks_are_left(
    pool: asyncpg.Pool, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    alert = fresh_alert()
    await record_alert(pool, alert)
    long_ago = datetime.now(UTC) - timedelta(hours=3)
    for sink_name in ("webhook", "pagerduty"):
        await record_attempt(
            pool,
            DeliveryAttempt(alert.event_id, sink_name, 1, DeliveryOutcome.RETRYING, long_ago, 503),
        )
    webhook = WebhookSink(client, SecretStr(receiver.url + "/hook"), SecretStr("k3y-secret"))
    assert await resend_failed(pool, [webhook], policy=POLICY, account_id=alert.account_id) == 1
    assert await delivery_status(pool, alert.event_id, "webhook") is DeliveryOutcome.DELIVERED
    assert await delivery_status(pool, alert.event_id, "pagerduty") is DeliveryOutcome.RETRYING


async def test_a_late_attempt_never_overrides_delivered(pool: asyncpg.Pool) -> None:
    alert = fresh_alert()
    await record_alert(pool, alert)
    now = datetime.now(UTC)
    await record_attempt(
        pool, DeliveryAttempt(alert.event_id, "slack", 1, DeliveryOutcome.DELIVERED, now)
    )
    await record_attempt(
        pool, DeliveryAttempt(alert.event_id, "slack", 1, DeliveryOutcome.FAILED, now, 500)
    )
    assert await delivery_status(pool, alert.event_id, "slack") is DeliveryOutcome.DELIVERED
