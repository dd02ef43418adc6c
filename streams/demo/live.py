"""`healthscore demo`: produce a synthetic company's renewal history (streams/demo/crm_import.py),
its recent past, then live activity.

With `gateway` (`--gateway URL`, as `make run` starts it), the renewals and tickets
are sent through the gateway as Stripe events and Zendesk webhooks instead
(streams/demo/via_gateway.py); everything else still goes to Kafka directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaProducer

from models.exceptions import HealthscoreError
from streams.demo.company import Company, Events
from streams.demo.crm_import import imported_renewals
from streams.demo.via_gateway import CONCURRENCY, GatewaySender, VendorSecrets, split
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


Deliver = Callable[[Events], Awaitable[int]]


def direct(producer: AIOKafkaProducer, settings: Settings) -> Deliver:
    async def deliver(events: Events) -> int:
        return await send_events(producer, settings, events)

    return deliver


def through(sender: GatewaySender, producer: AIOKafkaProducer, settings: Settings) -> Deliver:
    """Renewals and tickets queued for the gateway (posted while the demo goes on, each
    account's in order), the rest to Kafka."""

    async def deliver(events: Events) -> int:
        webhooks, rest = split(events)
        return sender.submit(webhooks) + await send_events(producer, settings, rest)

    return deliver


async def demo(
    settings: Settings,
    accounts: int,
    speed: float,
    seconds: float | None,
    gateway: str | None = None,
    now: datetime | None = None,
) -> int:
    """Run the demo; `now` (default: the clock) sets the history's days, for tests."""
    secrets = VendorSecrets.from_settings(settings) if gateway else None
    await ensure_topics(settings)
    producer = new_producer(settings)
    await producer.start()
    try:
        pool = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        async with httpx.AsyncClient(timeout=30, limits=pool) as client:
            deliver = direct(producer, settings)
            sender: GatewaySender | None = None
            if gateway is not None and secrets is not None:
                sender = GatewaySender(client, gateway, secrets)
                deliver = through(sender, producer, settings)
                print(
                    f"demo: renewals as Stripe events, tickets as Zendesk webhooks via {gateway}",
                    file=sys.stderr,
                )
            total = await _run(deliver, accounts, speed, seconds, now or datetime.now(UTC))
            if sender is not None:
                await sender.drain()
    except HealthscoreError:
        print(file=sys.stderr)  # after the progress line
        raise
    finally:
        await producer.stop()
    print(f"demo: {total} events sent", file=sys.stderr)
    return 0


def demo_company(accounts: int, now: datetime) -> Company:
    # Churned accounts come back (and some churn again), renewals are decided early or
    # late, and some accounts grow from 12 days ago: every churn, renewal and growth
    # panel has data.
    return Company(
        accounts,
        (now - timedelta(days=HISTORY_DAYS)).date(),
        winbacks=True,
        renewal_timing=True,
        expansions_from=now.date() - timedelta(days=GROWTH_DAYS),
    )


def history(company: Company, now: datetime) -> Iterator[Events]:
    """What the demo sends before going live: the profiles with the imported renewal
    history, then each of the HISTORY_DAYS days before `now`'s."""
    started_at = now - timedelta(days=HISTORY_DAYS)
    yield {
        "accounts": company.profiles(started_at),
        "renewals": imported_renewals(company, started_at),
    }
    for offset in range(HISTORY_DAYS):
        yield company.day(started_at.date() + timedelta(days=offset))


async def _run(
    deliver: Deliver, accounts: int, speed: float, seconds: float | None, now: datetime
) -> int:
    started = time.monotonic()
    company = demo_company(accounts, now)
    total = 0
    for offset, events in enumerate(history(company, now)):
        total += await deliver(events)
        if offset:
            print(
                f"\rdemo: history {offset}/{HISTORY_DAYS} days, {total} events sent",
                end="",
                file=sys.stderr,
                flush=True,
            )
    print(f"\ndemo: {accounts} accounts, now live at {speed:g} simulated s per s", file=sys.stderr)
    company.go_live(f"live{int(time.time())}")
    while seconds is None or time.monotonic() - started < seconds:
        tick = time.monotonic()
        events = company.day(datetime.now(UTC).date(), fraction=speed / 86400)
        total += await deliver(events)
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
    return total


def run_demo(
    settings: Settings,
    accounts: int,
    speed: float,
    seconds: float | None,
    gateway: str | None = None,
) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(demo(settings, accounts, speed, seconds, gateway))
    return 130
