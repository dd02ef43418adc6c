"""Alerts end to end: events → worker → health.alerts → Slack, PagerDuty and webhook receivers."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from pathlib import Path

import asyncpg
import pytest

from tests.integration.conftest import fast_alert_model
from tests.integration.sink_receiver import Receiver, running_receiver
from tests.integration.test_pipeline import ago, login, profile, topic, unique
from tests.support.kafka_io import event_message, produce
from tests.support.worker import new_worker, worker_env

pytestmark = pytest.mark.integration

SECRET = "s3cret-for-tests"


async def wait_for(check: object, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.3)


def paths(receiver: Receiver, path: str) -> list[dict[str, object]]:
    return [r.json() for r in receiver.requests if r.path == path]


async def test_a_critical_account_is_delivered_once_to_each_routed_sink(
    kafka_bootstrap: str, pg_dsn: str, tmp_path: Path
) -> None:
    async with running_receiver() as receiver:
        env = worker_env(
            kafka_bootstrap,
            pg_dsn,
            tmp_path,
            HS_MODEL=str(fast_alert_model(tmp_path)),
            HS_SLACK_WEBHOOK_URL=f"{receiver.url}/slack",
            HS_PAGERDUTY_ROUTING_KEY="a" * 32,
            HS_PAGERDUTY_URL=f"{receiver.url}/pd",
            HS_WEBHOOK_URL=f"{receiver.url}/hook",
            HS_WEBHOOK_SECRET=SECRET,
        )
        worker = new_worker(env, tmp_path)
        await asyncio.to_thread(worker.start)
        try:
            account = unique("big")
            await produce(
                kafka_bootstrap,
                topic(worker, "accounts"),
                [event_message(profile(account, arr=400_000))],
            )
            stale = [login(account, days_ago=50, user=f"u{i}") for i in range(3)]
            await produce(
                kafka_bootstrap, topic(worker, "logins"), [event_message(e) for e in stale]
            )
            tickets = [
                {
                    "event_id": unique("t"),
                    "account_id": account,
                    "occurred_at": ago(days=9),
                    "ticket_id": f"T{i}",
                    "status": "opened",
                    "priority": "urgent",
                }
                for i in range(3)
            ]
            await produce(
                kafka_bootstrap, topic(worker, "tickets"), [event_message(t) for t in tickets]
            )

            def band_hooks() -> list[dict[str, object]]:
                return [
                    b
                    for b in paths(receiver, "/hook")
                    if b["account_id"] == account and b["kind"] == "band_entered"
                ]

            await wait_for(lambda: band_hooks() and paths(receiver, "/pd/v2/enqueue"))
            await asyncio.sleep(3)  # anything sent twice would arrive by now

            [hook] = band_hooks()
            assert hook["status"] == "firing"
            assert hook["severity"] == "critical"
            request = next(
                r
                for r in receiver.requests
                if r.path == "/hook" and r.json()["event_id"] == hook["event_id"]
            )
            stamp = request.headers["X-Healthscore-Timestamp"]
            expected = hmac.new(
                SECRET.encode(), f"{stamp}.".encode() + request.body, hashlib.sha256
            ).hexdigest()
            assert hmac.compare_digest(
                request.headers["X-Healthscore-Signature"], f"sha256={expected}"
            )

            [page] = [
                p
                for p in paths(receiver, "/pd/v2/enqueue")
                if p["dedup_key"] == f"healthscore:band_entered:{account}"
            ]
            assert page["event_action"] == "trigger"
            slack = [json.dumps(s) for s in paths(receiver, "/slack")]
            mine = [s for s in slack if account in s and "band entered" in s.lower()]
            assert len(mine) == 1, slack

            connection = await asyncpg.connect(pg_dsn)
            try:
                rows = await connection.fetch(
                    """SELECT d.sink, d.outcome FROM alert_delivery_status d
                       JOIN alerts a USING (event_id)
                       WHERE a.account_id = $1 AND a.kind = 'band_entered'""",
                    account,
                )
            finally:
                await connection.close()
            assert {(r["sink"], r["outcome"]) for r in rows} == {
                ("slack", "delivered"),
                ("pagerduty", "delivered"),
                ("webhook", "delivered"),
            }
        finally:
            await asyncio.to_thread(worker.stop)
