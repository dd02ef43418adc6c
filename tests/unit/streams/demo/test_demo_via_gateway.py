"""`healthscore demo --gateway`: renewals as Stripe events and tickets as Zendesk webhooks,
signed as the vendors sign, mapped by the gateway's real sources and `make run`'s config
to the events the demo produces directly; retried while the gateway is unavailable,
stopping the demo when it refuses one."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from gateway.config import check_gateway_file
from gateway.signatures import STRIPE_HEADER
from models.events import Event
from streams.cli.main import parser
from streams.cli.run_local import GATEWAY_CONFIG
from streams.demo.company import Events
from streams.demo.live import demo_company, history
from streams.demo.via_gateway import (
    DemoGatewayError,
    GatewayRefused,
    GatewaySender,
    VendorSecrets,
    Webhook,
    split,
)
from streams.demo.webhooks import stripe_event
from streams.settings import Settings
from tests.support.demo_webhooks import SECRETS, FakeGateway, as_mapped

NOW = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
VENDOR_SECRETS = VendorSecrets(
    (SECRETS["HS_GATEWAY_STRIPE_SECRET"].encode(),), SECRETS["HS_GATEWAY_ZENDESK_SECRET"].encode()
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).timestamp()
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def sender(fake: FakeGateway, clock: Clock | None = None) -> GatewaySender:
    clock = clock or Clock()
    client = httpx.AsyncClient(transport=fake.transport(), base_url="http://gateway")
    return GatewaySender(client, "http://gateway", VENDOR_SECRETS, clock=clock, sleep=clock.sleep)


def script(accounts: int, days: int) -> list[Events]:
    """The demo's history before going live, then `days` more days of the same company."""
    company = demo_company(accounts, NOW)
    batches = list(history(company, NOW))
    batches += [company.day(NOW.date() + timedelta(days=n)) for n in range(days)]
    return batches


def as_json(item: tuple[str, Event]) -> str:
    return f"{item[0]} {item[1].model_dump_json()}"


def one_renewal(**more: Any) -> dict[str, Any]:
    return {
        "event_id": "acct-0001-h-renewal-3",
        "account_id": "acct-0001",
        "occurred_at": "2026-02-11T09:12:44.250000+00:00",
        "contract_id": "acct-0001-c1",
        "status": "renewed",
        "renewal_date": "2026-02-20",
        "arr": 48_000.0,
        "new_arr": 48_000.0,
        **more,
    }


async def test_the_gateway_maps_every_webhook_to_the_event_the_demo_produces_directly() -> None:
    fake = FakeGateway()
    via_gateway: list[tuple[str, Event]] = []
    direct_renewals: list[dict[str, Any]] = []
    for events in script(accounts=30, days=120):
        webhooks, rest = split(events)
        await sender(fake).send(webhooks)
        assert "tickets" not in rest
        direct_renewals += rest.get("renewals", [])
        via_gateway += [
            (topic, as_mapped(topic, event))
            for topic in ("renewals", "tickets")
            for event in events.get(topic, [])
            if topic == "tickets" or stripe_event(event) is not None
        ]
    # The same events, each once: nothing missing, nothing ignored, nothing more.
    assert len(fake.events) == len(via_gateway) > 1000
    assert sorted(map(as_json, fake.events)) == sorted(map(as_json, via_gateway))
    topics: dict[str, set[str]] = defaultdict(set)
    for topic, event in fake.events:
        topics[topic].add(event.model_dump(mode="json")["status"])
    assert topics["renewals"] == {"upcoming", "renewed", "expanded", "contracted", "churned"}
    assert topics["tickets"] == {"opened", "first_response", "resolved"}
    # Only the imported CRM history (decided_on: no Stripe field) goes to Kafka directly.
    assert direct_renewals and all(e.get("decided_on") for e in direct_renewals)
    assert all(e["event_id"].endswith(("-p1", "-p2", "-addon")) for e in direct_renewals)


def test_renewals_are_stripe_events_and_tickets_zendesk_triggers() -> None:
    ticket = {
        "event_id": "acct-0002-h-t-9",
        "account_id": "acct-0002",
        "occurred_at": "2026-02-11T10:00:00+00:00",
        "ticket_id": "acct-0002-h-ticket-4",
        "status": "resolved",
        "priority": "high",
        "csat": 4,
        "effort": 6,
    }
    webhooks, rest = split({"renewals": [one_renewal()], "tickets": [ticket], "logins": []})
    assert rest == {"renewals": [], "logins": []}
    stripe, zendesk = webhooks
    event = orjson.loads(stripe.body)
    assert (stripe.source, stripe.account_id) == ("stripe", "acct-0001")
    assert event["type"] == "customer.subscription.updated"
    assert event["id"] == "evt_acct-0001-h-renewal-3"
    assert event["created"] == int(datetime(2026, 2, 11, 9, 12, 44, tzinfo=UTC).timestamp())
    assert event["data"]["object"]["metadata"] == {"account_id": "acct-0001"}
    assert orjson.loads(zendesk.body) == {
        "ticket_id": "acct-0002-h-ticket-4",
        "status": "resolved",
        "priority": "high",
        "organization_external_id": "acct-0002",
        "occurred_at": "2026-02-11T10:00:00+00:00",
        "satisfaction": "4",
    }


def test_a_renewal_no_stripe_event_expresses_goes_to_kafka_directly() -> None:
    imported = one_renewal(decided_on="2026-02-01")
    contradicting = one_renewal(status="contracted", new_arr=48_000.0)
    webhooks, rest = split({"renewals": [imported, contradicting]})
    assert webhooks == [] and rest == {"renewals": [imported, contradicting]}


async def test_a_webhook_is_signed_afresh_and_sent_again_until_the_gateway_answers() -> None:
    fake, clock = FakeGateway(), Clock()
    replies = iter(
        [
            httpx.Response(503, json={"error": "unavailable"}, headers={"Retry-After": "3"}),
            httpx.ConnectError("connection refused"),
            httpx.Response(502, text="bad gateway"),
        ]
    )

    def unavailable(request: httpx.Request) -> httpx.Response | None:
        reply = next(replies, None)
        if isinstance(reply, Exception):
            raise reply
        return reply

    fake.answer = unavailable
    demo_sender = sender(fake, clock)
    [webhook] = split({"renewals": [one_renewal()]})[0]
    assert await demo_sender.send([webhook]) == 1
    # Retry-After, then the backoff doubling.
    assert clock.slept == [3.0, 1.0, 2.0]
    assert demo_sender.retries == 3
    assert len(fake.events) == 1
    stamps = [re.match(r"t=(\d+),", r.headers[STRIPE_HEADER]) for r in fake.requests]
    times = [int(m.group(1)) for m in stamps if m]
    assert times == sorted(times) and len(set(times)) == 4


async def test_each_accounts_webhooks_arrive_in_order() -> None:
    fake = FakeGateway()
    webhooks = [hook for events in script(accounts=30, days=0)[1:6] for hook in split(events)[0]]
    await sender(fake).send(webhooks)
    account_of = {hook.body: hook.account_id for hook in webhooks}
    arrived: dict[str, list[bytes]] = defaultdict(list)
    sent: dict[str, list[bytes]] = defaultdict(list)
    for request in fake.requests:
        arrived[account_of[request.content]].append(request.content)
    for hook in webhooks:
        sent[hook.account_id].append(hook.body)
    assert arrived == sent and len(sent) > 10


@pytest.mark.parametrize(
    ("reply", "says"),
    [
        (
            httpx.Response(
                400,
                json={"error": "unmappable", "detail": "organization_external_id: no account id"},
            ),
            "400: unmappable: organization_external_id: no account id",
        ),
        (httpx.Response(401, json={"error": "unauthorized", "detail": "bad"}), "same HS_GATEWAY_"),
        (httpx.Response(404, json={"error": "not_found", "detail": "no source"}), "404"),
        (httpx.Response(500, json={"error": "error", "detail": "internal error"}), "500"),
        (httpx.Response(202, json={"accepted": 0, "ignored": 1}), "to no event"),
    ],
)
async def test_a_refused_or_ignored_webhook_stops_the_demo_saying_why(
    reply: httpx.Response, says: str
) -> None:
    fake, clock = FakeGateway(), Clock()
    fake.answer = lambda request: reply
    [webhook] = split({"renewals": [one_renewal()]})[0]
    with pytest.raises(GatewayRefused, match=re.escape(says)) as refused:
        await sender(fake, clock).send([webhook])
    assert "stripe webhook of account acct-0001" in str(refused.value)
    assert clock.slept == [] and len(fake.requests) == 1
    assert SECRETS["HS_GATEWAY_STRIPE_SECRET"] not in str(refused.value)


async def test_a_payload_the_config_cannot_map_is_refused_not_lost() -> None:
    fake = FakeGateway()
    body = orjson.dumps({"ticket_id": "t1", "status": "opened", "occurred_at": NOW.isoformat()})
    with pytest.raises(GatewayRefused, match="400: unmappable: organization_external_id"):
        await sender(fake).send([Webhook("zendesk", "acct-0001", body)])
    assert fake.events == []


def test_the_gateway_secrets_are_required_and_never_shown() -> None:
    with pytest.raises(DemoGatewayError, match="HS_GATEWAY_STRIPE_SECRET and HS_GATEWAY_ZENDESK"):
        VendorSecrets.from_settings(
            Settings(gateway_stripe_secret=None, gateway_zendesk_secret=None)
        )
    rotated = Settings(gateway_stripe_secret="old, new", gateway_zendesk_secret="zd")
    secrets = VendorSecrets.from_settings(rotated)
    assert secrets == VendorSecrets((b"old", b"new"), b"zd")
    assert "old" not in repr(rotated)


def test_make_runs_gateway_config_is_valid() -> None:
    assert check_gateway_file(str(GATEWAY_CONFIG)) == []


def test_the_demo_command_takes_the_gateway_url() -> None:
    args = parser().parse_args(["demo", "--gateway", "http://127.0.0.1:6067"])
    assert args.gateway == "http://127.0.0.1:6067"
    assert parser().parse_args(["demo"]).gateway is None


async def test_a_refusal_in_the_background_stops_the_next_submit_and_posts_nothing_more() -> None:
    fake = FakeGateway()
    fake.answer = lambda request: httpx.Response(400, json={"error": "unmappable", "detail": "x"})
    demo_sender = sender(fake)
    first = split({"renewals": [one_renewal()]})[0]
    assert demo_sender.submit(first) == 1  # queued: the demo goes on meanwhile
    later = split({"renewals": [one_renewal(event_id="acct-0001-h-renewal-4")]})[0]
    demo_sender.submit(later)
    with pytest.raises(GatewayRefused):
        await demo_sender.drain()
    with pytest.raises(GatewayRefused):
        demo_sender.submit(later)
    assert len(fake.requests) == 1
