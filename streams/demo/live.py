"""`healthscore demo`: produce a synthetic company's renewal history (streams/demo/crm_import.py),
its recent past, then live activity."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from streams.demo.company import Company, Events
from streams.demo.crm_import import imported_renewals
from streams.kafka_client import new_producer
from streams.settings import Settings
from streams.topics import ensure_topics

HISTORY_DAYS = 45
# Growing accounts start their rollout this many days before the demo goes live.
GROWTH_DAYS = 12


async def send_events(producer: AIOKafkaProducer, settings: Settings, events: Events) -> int:
    """Send one batch envelope per account and topic (the high-volume producer's form)."""
    pending = []
    sent = 0
    for topic, items in events.items():
        per_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in items:
            per_account[item["account_id"]].append(item)
        for account_id, batch in per_account.items():
            value = orjson.dumps(batch if len(batch) > 1 else batch[0])
            pending.append(
                await producer.send(settings.topic(topic), value=value, key=account_id.encode())
            )
            sent += len(batch)
    await asyncio.gather(*pending)
    return sent


async def demo(settings: Settings, accounts: int, speed: float, seconds: float | None) -> int:
    await ensure_topics(settings)
    producer = new_producer(settings)
    await producer.start()
    started = time.monotonic()
    now = datetime.now(UTC)
    first_day = (now - timedelta(days=HISTORY_DAYS)).date()
    # Churned accounts come back (and some churn again), renewals are decided early or
    # late, and some accounts grow from 12 days ago: every churn, renewal and growth
    # panel has data.
    company = Company(
        accounts,
        first_day,
        winbacks=True,
        renewal_timing=True,
        expansions_from=now.date() - timedelta(days=GROWTH_DAYS),
    )
    total = 0
    try:
        started_at = now - timedelta(days=HISTORY_DAYS)
        total += await send_events(
            producer,
            settings,
            {
                "accounts": company.profiles(started_at),
                "renewals": imported_renewals(company, started_at),
            },
        )
        for offset in range(HISTORY_DAYS):
            day = first_day + timedelta(days=offset)
            total += await send_events(producer, settings, company.day(day))
            print(
                f"\rdemo: history {offset + 1}/{HISTORY_DAYS} days, {total} events sent",
                end="",
                file=sys.stderr,
                flush=True,
            )
        print(
            f"\ndemo: {accounts} accounts, now live at {speed:g} simulated s per s", file=sys.stderr
        )
        company.go_live(f"live{int(time.time())}")
        while seconds is None or time.monotonic() - started < seconds:
            tick = time.monotonic()
            events = company.day(datetime.now(UTC).date(), fraction=speed / 86400)
            total += await send_events(producer, settings, events)
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
    finally:
        await producer.stop()
    print(f"demo: {total} events sent", file=sys.stderr)
    return 0


def run_demo(settings: Settings, accounts: int, speed: float, seconds: float | None) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(demo(settings, accounts, speed, seconds))
    return 130
