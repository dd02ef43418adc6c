"""`healthscore alerts resend`: deliver again the alerts whose delivery finally failed."""

from __future__ import annotations

import asyncio
import sys

import httpx

from models.exceptions import HealthscoreError
from sinks.dispatch import build_sinks
from sinks.postgres import apply_migrations, create_pool
from sinks.resend import resend_failed
from streams.settings import Settings
from streams.topology.alert_delivery import sink_settings


async def resend(settings: Settings, account_id: str | None, limit: int) -> int:
    if settings.pg_dsn is None:
        raise HealthscoreError("HS_PG_DSN is required: delivery history lives in PostgreSQL")
    pool = await create_pool(settings.pg_dsn.get_secret_value())
    try:
        await apply_migrations(pool)
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as client:
            sinks = build_sinks(client, sink_settings(settings))
            if not sinks:
                raise HealthscoreError("no alert sink is configured (see HS_SLACK_WEBHOOK_URL, …)")
            return await resend_failed(pool, sinks.values(), limit=limit, account_id=account_id)
    finally:
        await pool.close()


def run_resend(settings: Settings, account_id: str | None, limit: int) -> int:
    delivered = asyncio.run(resend(settings, account_id, limit))
    print(f"{delivered} deliveries succeeded on resend", file=sys.stderr)
    return 0
