"""The gateway against the real broker: 202 means the events are on the topic, a refusal
means nothing is, and while Kafka is unreachable the answer is 503 with Retry-After.

Each test serves its own gateway (in this process, on a free loopback port) with a
topic prefix of its own; the webhook source is the tests' SignedSource.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from gateway.run import RunningGateway, running_gateway
from gateway.source import Source
from streams.settings import Settings
from tests.integration.api_accounts import ago, event, healthy
from tests.support.gateway import (
    MAX_AGE,
    SignedSource,
    login_item,
    own_login,
    read_everything,
    signed,
    tcp_proxy,
)
from tests.support.prometheus import promtool_check_metrics
from tests.support.servers import free_port
from tests.support.worker import WorkerProcess, wait_until

pytestmark = pytest.mark.integration

TOKEN = "gateway-test-token-" + uuid.uuid4().hex
OWN = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
SOURCES: Mapping[str, Source] = {"acme": SignedSource()}


def gateway_settings(bootstrap: str, **more: Any) -> Settings:
    fields: dict[str, Any] = {
        "kafka_bootstrap": bootstrap,
        "topic_prefix": f"g{uuid.uuid4().hex[:10]}.",
        "partitions": 4,
        "gateway_token": TOKEN,
        "gateway_host": "127.0.0.1",
        "gateway_produce_timeout_seconds": 5,
        "gateway_max_body_bytes": 1024 * 1024,
    }
    return Settings(**(fields | more))


async def wait_ready(client: httpx.AsyncClient, within: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while (await client.get("/readyz")).status_code != 200:
        assert asyncio.get_running_loop().time() < deadline, "gateway not ready"
        await asyncio.sleep(0.2)


class Served:
    def __init__(self, running: RunningGateway, client: httpx.AsyncClient, bootstrap: str):
        self.running = running
        self.client = client
        self.bootstrap = bootstrap

    @property
    def settings(self) -> Settings:
        return self.running.link.settings

    async def records(self, topic: str) -> list[tuple[bytes, list[dict[str, Any]]]]:
        """(key, events) of every message on the prefixed input `topic`."""
        found = await read_everything(self.bootstrap, self.settings.topic(topic))
        return [(r.key or b"", orjson.loads(r.value or b"null")) for r in found]

    def count(self, outcome: str, source: str = "acme") -> float:
        registry = self.running.gateway.metrics.registry
        labels = {"source": source, "outcome": outcome}
        return registry.get_sample_value("healthscore_gateway_requests_total", labels) or 0.0


@pytest.fixture
async def served(kafka_bootstrap: str) -> AsyncIterator[Served]:
    settings = gateway_settings(kafka_bootstrap)
    async with (
        running_gateway(settings, SOURCES, MAX_AGE, port=0) as running,
        httpx.AsyncClient(base_url=running.url, timeout=30) as client,
    ):
        await wait_ready(client)
        yield Served(running, client, kafka_bootstrap)


def recent(minutes: float = 5) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


async def test_an_accepted_webhook_is_on_the_topics_keyed_by_account(served: Served) -> None:
    items = [
        login_item("1", "acct-1", at=recent()),
        login_item("2", "acct-2", at=recent()),
        login_item("3", "acct-1", at=recent()),
        {"kind": "profile", "id": "p1", "account": "acct-2", "name": "Acme Two"},
        {"kind": "noise"},
    ]
    body, headers = signed({"items": items})
    reply = await served.client.post("/v1/sources/acme", content=body, headers=headers)
    assert reply.status_code == 202, reply.text
    assert reply.json() == {"accepted": 4, "ignored": 1}

    # Acknowledged before the answer: on the topics now, no waiting.
    logins = dict(await served.records("logins"))
    assert set(logins) == {b"acct-1", b"acct-2"}
    assert [e["event_id"] for e in logins[b"acct-1"]] == ["acme-1", "acme-3"]
    assert all(e["account_id"] == "acct-1" for e in logins[b"acct-1"])
    [(key, [profile])] = await served.records("accounts")
    assert key == b"acct-2" and profile["name"] == "Acme Two"


async def test_own_events_over_http_are_on_the_topic_as_sent(served: Served) -> None:
    batch = [
        {**own_login("t1", "acct-9", datetime.now(UTC)), "ticket_id": "T-1", "status": "opened",
         "priority": "high", "desk": "emea"},
        {**own_login("t2", "acct-8", datetime.now(UTC)), "ticket_id": "T-2", "status": "opened",
         "priority": "low"},
    ]  # fmt: skip
    for ticket in batch:
        del ticket["user_id"]
    reply = await served.client.post("/v1/events/tickets", json=batch, headers=OWN)
    assert reply.status_code == 202, reply.text
    assert reply.json() == {"accepted": 2, "ignored": 0}
    tickets = dict(await served.records("tickets"))
    assert tickets == {b"acct-9": [batch[0]], b"acct-8": [batch[1]]}  # unknown `desk` kept


async def test_hostile_requests_get_a_clear_4xx_produce_nothing_and_the_gateway_goes_on(
    served: Served,
) -> None:
    client = served.client
    deep = b'{"items": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    acme = SignedSource()

    def signed_raw(body: bytes) -> dict[str, str]:
        return {"Content-Type": "application/json", "X-Test-Signature": acme.sign(body)}

    refused: list[tuple[str, int, httpx.Response]] = []

    async def post(what: str, expected: int, path: str, body: bytes, headers: Any) -> None:
        refused.append((what, expected, await client.post(path, content=body, headers=headers)))

    huge = b'{"items": [' + b'{"kind": "noise"},' * 200_000 + b"]}"
    await post("huge body", 413, "/v1/sources/acme", huge, signed_raw(huge))
    await post("huge own events", 413, "/v1/events/logins", huge, OWN)
    await post("deep nesting", 400, "/v1/sources/acme", deep, signed_raw(deep))
    await post("deep own events", 400, "/v1/events/logins", deep, OWN)
    bad_utf8 = b'{"items": [{"kind": "login", "id": "\xff\xfe", "account": "x", "user": "u"}]}'
    await post("invalid UTF-8", 400, "/v1/sources/acme", bad_utf8, signed_raw(bad_utf8))
    await post("not JSON", 400, "/v1/events/logins", b"event_id=1&account_id=2", OWN)
    good_body, good_headers = signed({"items": [login_item("x", "evil", at=recent())]})
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        headers = {**good_headers, "Content-Type": content_type}
        await post(content_type, 415, "/v1/sources/acme", good_body, headers)
    unmappable, unmappable_headers = signed({"items": [login_item("y", "evil"), {"kind": "?"}]})
    await post("unmappable", 400, "/v1/sources/acme", unmappable, unmappable_headers)
    late = orjson.dumps([own_login("z", "evil", datetime.now(UTC) + timedelta(days=3))])
    await post("future event", 400, "/v1/events/logins", late, OWN)

    # An unsigned flood, all at once, then a wrongly signed one and a wrong token.
    flood = await asyncio.gather(
        *(
            client.post("/v1/sources/acme", content=good_body, headers={"X-Test-Signature": "0"})
            for _ in range(300)
        )
    )
    assert [r.status_code for r in flood] == [401] * 300
    await post("resigned", 401, "/v1/sources/acme", good_body.replace(b"evil", b"evil2"),
               good_headers)  # fmt: skip
    await post("wrong token", 401, "/v1/events/logins", late, {**OWN, "Authorization": "Bearer x"})

    for what, expected, reply in refused:
        assert reply.status_code == expected, (what, reply.status_code, reply.text)
        body = reply.json()
        assert body["error"] and body["detail"], what

    # The gateway is up, still takes a good request, and that is all the topics hold.
    assert (await client.get("/readyz")).status_code == 200
    reply = await client.post("/v1/sources/acme", content=good_body, headers=good_headers)
    assert reply.status_code == 202
    logins = await served.records("logins")
    assert [(key, [e["event_id"] for e in events]) for key, events in logins] == [
        (b"evil", ["acme-x"])
    ]
    assert await served.records("accounts") == []
    assert served.count("unauthorized") == 301
    assert served.count("too_large") == 1 and served.count("too_large", "events") == 1
    assert served.count("unsupported_media_type") == 3
    assert served.count("invalid_json") == 2 and served.count("invalid_json", "events") == 2
    assert served.count("unmappable") == 1 and served.count("invalid", "events") == 1
    assert served.count("accepted") == 1

    # Every outcome's series passes Prometheus' own check.
    exposition = (await client.get("/metrics")).text
    assert 'outcome="unsupported_media_type"' in exposition
    assert promtool_check_metrics(exposition) == ""


async def test_503_with_retry_after_while_kafka_is_unreachable_then_accepted_once_back(
    kafka_bootstrap: str,
) -> None:
    # The gateway's bootstrap address answers nothing until the proxy to the broker opens.
    port = free_port()
    settings = gateway_settings(f"127.0.0.1:{port}")
    body = orjson.dumps([own_login("r1", "acct-r", datetime.now(UTC))])
    async with (
        running_gateway(settings, SOURCES, MAX_AGE, port=0) as running,
        httpx.AsyncClient(base_url=running.url, timeout=30) as client,
    ):
        for _ in range(3):
            reply = await client.post("/v1/events/logins", content=body, headers=OWN)
            assert reply.status_code == 503
            assert int(reply.headers["Retry-After"]) >= 1
            assert reply.json()["error"] == "unavailable"
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and "not connected" in ready.json()["reason"]

        host, broker_port = kafka_bootstrap.rsplit(":", 1)
        async with tcp_proxy(port, host, int(broker_port)):
            # A client retrying as told: accepted once the gateway has connected.
            deadline = asyncio.get_running_loop().time() + 60
            while (
                reply := await client.post("/v1/events/logins", content=body, headers=OWN)
            ).status_code == 503:
                assert asyncio.get_running_loop().time() < deadline, "never accepted"
                await asyncio.sleep(0.5)
            assert reply.status_code == 202
            assert (await client.get("/readyz")).status_code == 200

    found = await read_everything(kafka_bootstrap, settings.topic("logins"))
    # The 503s produced nothing: the event is there once.
    assert [(r.key, orjson.loads(r.value or b"")) for r in found] == [
        (b"acct-r", orjson.loads(body))
    ]


async def test_own_events_and_a_webhook_reach_the_accounts_health_through_a_real_worker(
    kafka_bootstrap: str, worker: WorkerProcess
) -> None:
    account = f"gw-{uuid.uuid4().hex[:8]}"
    settings = gateway_settings(kafka_bootstrap, topic_prefix=worker.env["HS_TOPIC_PREFIX"])
    profile = event(account, ago(hours=2), name="Gateway Customer", segment="gateway-test")
    async with (
        running_gateway(settings, SOURCES, MAX_AGE, port=0) as running,
        httpx.AsyncClient(base_url=running.url, timeout=30) as client,
    ):
        await wait_ready(client)
        reply = await client.post("/v1/events/accounts", json=profile, headers=OWN)
        assert reply.status_code == 202, reply.text
        for topic, events in healthy(account).items():
            if topic == "logins":  # these come as the webhook instead
                continue
            reply = await client.post(f"/v1/events/{topic}", json=events, headers=OWN)
            assert reply.status_code == 202, (topic, reply.text)
        items = [login_item(f"{account}-{n}", account, f"u{n % 5}", at=ago(hours=n)) for n in
                 range(1, 48, 2)]  # fmt: skip
        body, headers = signed({"items": items})
        reply = await client.post("/v1/sources/acme", content=body, headers=headers)
        assert reply.json() == {"accepted": len(items), "ignored": 0}

    async with httpx.AsyncClient(base_url=worker.url, timeout=10) as api:

        async def scored() -> bool:
            answer = await api.get(f"/accounts/{account}")
            if answer.status_code != 200:
                return False
            health = answer.json()
            return bool(health["name"] == "Gateway Customer" and health["band"] == "healthy"
                        and "engagement" in health["components"])  # fmt: skip

        await wait_until(scored, "the gateway's events never made the account healthy", worker)


async def test_a_send_kafka_does_not_acknowledge_in_time_is_503_and_the_gateway_recovers(
    served: Served,
) -> None:
    body = orjson.dumps([own_login("slow-1", "acct-s", datetime.now(UTC))])
    link = served.running.link
    patience = link.timeout
    link.timeout = 1e-6  # no broker acknowledges that fast
    reply = await served.client.post("/v1/events/logins", content=body, headers=OWN)
    assert reply.status_code == 503 and "Retry-After" in reply.headers
    assert "did not acknowledge the events within" in reply.json()["detail"]
    assert served.count("unavailable", "events") == 1
    link.timeout = patience

    # /readyz asks the brokers again rather than waiting for traffic to prove them back.
    ready = await served.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    reply = await served.client.post("/v1/events/logins", content=body, headers=OWN)
    assert reply.status_code == 202
    # The 503'd send may have reached Kafka as well: the same event, which workers ignore.
    logins = await served.records("logins")
    assert 1 <= len(logins) <= 2
    assert {key for key, _ in logins} == {b"acct-s"}
    assert all(events == orjson.loads(body) for _, events in logins)
