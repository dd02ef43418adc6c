"""The delivery agent with real receivers: sinks apart, restarts, and records it cannot use."""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.integration.alert_samples import sample_alert
from tests.integration.sink_receiver import Receiver, Reply, running_receiver
from tests.support.kafka_io import produce, read_until
from tests.support.worker import WorkerProcess, new_worker, worker_env

pytestmark = pytest.mark.integration

DEADLINE = 90.0  # generous: the waits below end within seconds when all is well
RATE_LIMITED = Reply(429, "rate_limited", {"Retry-After": "120"})


async def wait_for(check: Callable[[], bool], within: float = DEADLINE) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.3)


def alert_record(account: str, **changes: object) -> tuple[bytes, bytes]:
    alert = sample_alert(
        event_id=f"{account}:band_entered:1:firing:0",
        dedup_key=f"{account}:band_entered",
        account_id=account,
        name=account,
        **changes,
    )
    return account.encode(), alert.model_dump_json().encode()


def alerts_topic(worker: WorkerProcess) -> str:
    return f"{worker.env['HS_TOPIC_PREFIX']}health.alerts"


def pages(pagerduty: Receiver) -> Counter[str]:
    """PagerDuty events received, by dedup key."""
    return Counter(str(r.json()["dedup_key"]) for r in pagerduty.requests)


def slack_messages(slack: Receiver, accounts: list[str], since: int = 0) -> Counter[str]:
    """Slack messages received from request number `since` on, by the account they name."""
    bodies = [json.dumps(r.json()) for r in slack.requests[since:]]
    return Counter(a for body in bodies for a in accounts if a in body)


async def test_slack_waiting_out_retry_after_holds_up_no_page_and_a_restart_sends_each_once(
    kafka_bootstrap: str, pg_dsn: str, tmp_path: Path
) -> None:
    async with running_receiver(RATE_LIMITED) as slack, running_receiver() as pagerduty:
        env = worker_env(
            kafka_bootstrap,
            pg_dsn,
            tmp_path,
            HS_SLACK_WEBHOOK_URL=f"{slack.url}/services/T0/B0/x",
            HS_PAGERDUTY_ROUTING_KEY="r" * 32,
            HS_PAGERDUTY_URL=pagerduty.url,
        )
        worker = new_worker(env, tmp_path)
        await asyncio.to_thread(worker.start)
        run = uuid.uuid4().hex[:8]
        accounts = [f"acct-{run}-{n:02d}" for n in range(12)]
        try:
            records = [alert_record(a) for a in accounts]
            await produce(kafka_bootstrap, alerts_topic(worker), records)
            wanted = {f"healthscore:band_entered:{a}" for a in accounts}

            await wait_for(lambda: set(pages(pagerduty)) == wanted)
            # Every page went out while Slack still holds each of its lanes on the first 429.
            assert slack.requests, "Slack was never tried"
            assert len(slack.requests) < len(accounts)
            assert slack_messages(slack, accounts).most_common(1)[0][1] == 1

            # A worker stopping does not wait out the 120 s: it gives its alerts up.
            await asyncio.to_thread(worker.stop)
            assert worker.process is not None
            assert worker.process.returncode != -signal.SIGKILL, worker.tail()
        finally:
            await asyncio.to_thread(worker.stop)

        slack.default = Reply(200, "ok")
        tried_before = len(slack.requests)
        restarted = new_worker(env, tmp_path)
        await asyncio.to_thread(restarted.start)
        try:
            sent = tried_before
            await wait_for(lambda: len(slack_messages(slack, accounts, sent)) == len(accounts))
            await asyncio.sleep(3)  # a second message would arrive by now
            assert slack_messages(slack, accounts, sent) == Counter(accounts)
            assert pages(pagerduty) == Counter(wanted)  # nobody paged twice
        finally:
            await asyncio.to_thread(restarted.stop)

    connection = await asyncpg.connect(pg_dsn)
    try:
        rows = await connection.fetch(
            """SELECT s.sink, s.outcome, count(*) AS n FROM alert_delivery_status s
               JOIN alerts a USING (event_id) WHERE a.account_id = ANY($1::text[])
               GROUP BY s.sink, s.outcome""",
            accounts,
        )
    finally:
        await connection.close()
    assert {(r["sink"], r["outcome"]): r["n"] for r in rows} == {
        ("slack", "delivered"): len(accounts),
        ("pagerduty", "delivered"): len(accounts),
    }


async def test_records_it_cannot_use_go_to_the_dlq_and_later_alerts_are_delivered(
    kafka_bootstrap: str, pg_dsn: str, tmp_path: Path
) -> None:
    async with running_receiver() as hooks:
        env = worker_env(
            kafka_bootstrap,
            pg_dsn,
            tmp_path,
            HS_WEBHOOK_URL=f"{hooks.url}/hook",
            HS_WEBHOOK_SECRET="dlq-test-secret",
        )
        worker = new_worker(env, tmp_path)
        await asyncio.to_thread(worker.start)
        try:
            account = f"acct-{uuid.uuid4().hex[:8]}"
            key = account.encode()
            _, nul = alert_record(f"{account}-nul", summary="PostgreSQL text takes no \x00")
            poison = [
                (key, b"{not json"),
                (key, b'{"event_id": "only this"}'),
                (key, nul),  # a valid alert event that PostgreSQL refuses as data
            ]
            headers = [("traceparent", b"00-abc-01")]
            await produce(kafka_bootstrap, alerts_topic(worker), poison, headers=headers)
            await produce(kafka_bootstrap, alerts_topic(worker), [alert_record(account)])

            await wait_for(lambda: any(r.json()["account_id"] == account for r in hooks.requests))
            prefix = env["HS_TOPIC_PREFIX"]
            dead = await read_until(
                kafka_bootstrap, f"{prefix}health.dlq", lambda found: len(found) >= 3
            )
            async with httpx.AsyncClient() as client:
                metrics = (await client.get(f"{worker.url}/metrics")).text
        finally:
            await asyncio.to_thread(worker.stop)

    assert [(r.key, r.value) for r in dead] == poison
    details, sources = [], []
    for record in dead:
        headers_of = dict(record.headers)
        assert record.headers[0] == ("traceparent", b"00-abc-01")
        assert headers_of["hs.error.reason"] == b"unusable_output"
        assert headers_of["hs.source.topic"] == f"{prefix}health.alerts".encode()
        source = headers_of["hs.source.partition"], headers_of["hs.source.offset"]
        sources.append((int(source[0]), int(source[1])))
        details.append(headers_of["hs.error.detail"].decode())
    # One key, so one partition, in the order produced.
    assert [offset for _, offset in sources] == [0, 1, 2]
    assert len({partition for partition, _ in sources}) == 1
    assert "not an alert event" in details[0] and "JSON" in details[0]
    assert "not an alert event" in details[1] and "account_id" in details[1]
    assert "recording the alert failed" in details[2] and "0x00" in details[2]
    assert [json.loads(r.body)["account_id"] for r in hooks.requests] == [account]
    assert (
        'healthscore_dlq_messages_total{reason="unusable_output",topic="health.alerts"} 3.0'
        in metrics
    )
