"""`healthscore demo --gateway` against a running gateway and the real broker: its renewals
(Stripe) and tickets (Zendesk) land on the topics as the events the demo produces directly;
and the gateway and the demo started as `make run` starts them work together."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from gateway.run import running_gateway
from models.events import TOPIC_EVENTS
from streams.cli import run_local
from streams.demo.live import demo, demo_company, history
from streams.demo.webhooks import stripe_event
from streams.settings import Settings
from tests.support.demo_webhooks import SECRETS, as_mapped, demo_sources
from tests.support.gateway import MAX_AGE, read_everything
from tests.support.servers import ROOT, free_port

pytestmark = pytest.mark.integration

ACCOUNTS = 12


def expected_events(now: datetime) -> dict[str, list[str]]:
    """The demo's renewals and tickets before it goes live, as they arrive through the
    gateway (imported renewals straight from Kafka), as sorted JSON."""
    found: dict[str, list[str]] = {"renewals": [], "tickets": []}
    for events in history(demo_company(ACCOUNTS, now), now):
        for topic, items in found.items():
            for event in events.get(topic, []):
                if topic == "tickets" or stripe_event(event) is not None:
                    items.append(as_mapped(topic, event).model_dump_json())
                else:
                    items.append(TOPIC_EVENTS[topic].model_validate(event).model_dump_json())
    return {topic: sorted(items) for topic, items in found.items()}


async def on_topic(bootstrap: str, settings: Settings, topic: str) -> list[dict[str, Any]]:
    records = await read_everything(bootstrap, settings.topic(topic))
    events: list[dict[str, Any]] = []
    for record in records:
        value = orjson.loads(record.value or b"null")
        for event in value if isinstance(value, list) else [value]:
            assert record.key == event["account_id"].encode()
            events.append(event)
    return events


async def test_the_demos_webhooks_land_as_the_events_it_would_produce(
    kafka_bootstrap: str,
) -> None:
    settings = Settings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=f"dg{uuid.uuid4().hex[:10]}.",
        partitions=2,
        gateway_host="127.0.0.1",
        gateway_stripe_secret=SECRETS["HS_GATEWAY_STRIPE_SECRET"],
        gateway_zendesk_secret=SECRETS["HS_GATEWAY_ZENDESK_SECRET"],
    )
    now = datetime.now(UTC)
    async with running_gateway(settings, demo_sources(), MAX_AGE, port=0) as running:
        assert await demo(settings, ACCOUNTS, 3600.0, 0, gateway=running.url, now=now) == 0
        registry = running.gateway.metrics.registry
        accepted = {
            source: registry.get_sample_value(
                "healthscore_gateway_requests_total", {"source": source, "outcome": "accepted"}
            )
            for source in ("stripe", "zendesk")
        }
    expected = expected_events(now)
    for topic in ("renewals", "tickets"):
        events = await on_topic(kafka_bootstrap, settings, topic)
        landed = sorted(TOPIC_EVENTS[topic].model_validate(e).model_dump_json() for e in events)
        assert landed == expected[topic], topic
    via_stripe = [e for e in expected["renewals"] if '"stripe:evt_' in e]
    assert accepted == {"stripe": len(via_stripe), "zendesk": len(expected["tickets"])}
    assert via_stripe and len(via_stripe) < len(expected["renewals"])  # the CRM import: direct
    assert await on_topic(kafka_bootstrap, settings, "logins")  # the rest still direct


def start(launch: run_local.Launch, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "streams", *launch.args],
            env=launch.env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def test_the_gateway_and_demo_as_make_run_starts_them(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    prefix = f"dr{uuid.uuid4().hex[:10]}."
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HS_")}
    environ |= {"HS_KAFKA_BOOTSTRAP": kafka_bootstrap, "HS_TOPIC_PREFIX": prefix}
    secrets = run_local.signing_secrets()
    port = free_port()  # make run's is 6067; a test takes a free one
    gateway = run_local.gateway(environ, secrets)
    gateway.env["HS_GATEWAY_PORT"] = str(port)
    url = f"http://127.0.0.1:{port}"
    planned = run_local.demo(3, environ, secrets)
    assert planned.args[-2:] == ["--gateway", run_local.GATEWAY_URL]
    demo_launch = run_local.Launch("demo", [*planned.args[:-1], url, "--seconds", "0"], planned.env)

    log = tmp_path / "gateway.log"
    process = start(gateway, log)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            deadline = asyncio.get_running_loop().time() + 60
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert asyncio.get_running_loop().time() < deadline, log.read_text()
                await asyncio.sleep(0.2)
        demo_log = tmp_path / "demo.log"
        demo_process = start(demo_launch, demo_log)
        assert await asyncio.to_thread(demo_process.wait, 120) == 0, demo_log.read_text()
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 30) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    settings = Settings(topic_prefix=prefix)
    tickets = await on_topic(kafka_bootstrap, settings, "tickets")
    renewals = await on_topic(kafka_bootstrap, settings, "renewals")
    assert tickets and all(e["event_id"].startswith("zendesk:") for e in tickets)
    assert any(e["event_id"].startswith("stripe:evt_") for e in renewals)
    for text in (log.read_text(), demo_log.read_text()):
        assert all(secret not in text for secret in secrets.values())
