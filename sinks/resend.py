"""Re-sending alert deliveries that failed (`healthscore alerts resend`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta

import asyncpg
from prometheus_client import Counter

from models.alerting.event import AlertEvent
from sinks.alert_history import PostgresRecorder, undelivered
from sinks.base import AlertSink
from sinks.delivery import DeliveryOutcome, deliver
from sinks.retry import RetryPolicy

log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


async def resend_failed(
    pool: asyncpg.Pool,
    sinks: Iterable[AlertSink],
    *,
    policy: RetryPolicy | None = None,
    counter: Counter | None = None,
    limit: int = 1000,
    account_id: str | None = None,
    stuck_after: timedelta = timedelta(hours=1),
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], datetime] = _utcnow,
) -> int:
    """Deliver again every failed (alert, sink), oldest first; return how many now succeeded.

    Deliveries still marked `retrying` for longer than `stuck_after` (their
    worker died mid-retry) are re-sent too. Each goes through `deliver`, so
    attempts are recorded and a sink that has since delivered is skipped.
    Failures whose sink is not configured any more are left as they are.
    `account_id` limits the resend to one account's alerts.
    """
    by_name = {sink.name: sink for sink in sinks}
    pending = await undelivered(
        pool, retrying_before=clock() - stuck_after, limit=limit, account_id=account_id
    )
    grouped: dict[str, tuple[AlertEvent, list[str]]] = {}
    for alert, sink_name in pending:
        grouped.setdefault(alert.event_id, (alert, []))[1].append(sink_name)
    recorder = PostgresRecorder(pool)
    delivered = 0
    for alert, sink_names in grouped.values():
        targets = [by_name[name] for name in sink_names if name in by_name]
        missing = sorted(set(sink_names) - by_name.keys())
        if missing:
            log.warning("alert %s: sinks %s not configured, left failed", alert.event_id, missing)
        if not targets:
            continue
        outcomes = await deliver(
            alert, targets, recorder, policy=policy, counter=counter, sleep=sleep, clock=clock
        )
        delivered += sum(outcome is DeliveryOutcome.DELIVERED for outcome in outcomes.values())
    return delivered
