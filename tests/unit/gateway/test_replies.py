"""The service's replies and their counting, with Kafka replaced by a fake link.

Each test serves the gateway on a free loopback port and asks it over HTTP,
as a webhook sender would.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest

from gateway.metrics import GatewayMetrics
from gateway.run import serving
from gateway.server import Gateway, GatewayOptions
from gateway.source import Mapped, Source
from tests.support.gateway import MAX_AGE, FakeLink, SignedSource, login_item, own_login, signed

TOKEN = "own-events-token-0123456789"
LIMIT = 64 * 1024


class BrokenSource(SignedSource):
    """Maps by raising what no source should: the service must survive it."""

    def map(self, document: object, received_at: datetime) -> Mapped:
        raise KeyError("a bug")


@dataclass
class Served:
    client: httpx.AsyncClient
    link: FakeLink
    gateway: Gateway

    def count(self, source: str, outcome: str) -> float:
        registry = self.gateway.metrics.registry
        value = registry.get_sample_value(
            "healthscore_gateway_requests_total", {"source": source, "outcome": outcome}
        )
        return value or 0.0

    def events(self, source: str, topic: str) -> float:
        registry = self.gateway.metrics.registry
        labels = {"source": source, "topic": topic}
        return registry.get_sample_value("healthscore_gateway_events_total", labels) or 0.0


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    link = FakeLink()
    sources: Mapping[str, Source] = {"acme": SignedSource(), "broken": BrokenSource("broken")}
    options = GatewayOptions(max_body_bytes=LIMIT, token=TOKEN.encode(), max_age=MAX_AGE)
    gateway = Gateway(sources, link, options, GatewayMetrics())
    async with (
        serving(gateway.app(), "127.0.0.1", 0) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client,
    ):
        yield Served(client, link, gateway)


async def test_a_signed_request_is_produced_and_answered_202_with_its_counts(
    served: Served,
) -> None:
    body, headers = signed({"items": [login_item("1", "a1"), {"kind": "noise"},
                                      login_item("2", "a2")]})  # fmt: skip
    reply = await served.client.post("/v1/sources/acme", content=body, headers=headers)
    assert reply.status_code == 202
    assert reply.json() == {"accepted": 2, "ignored": 1}
    assert sorted(m.key for m in served.link.produced) == [b"a1", b"a2"]
    assert served.count("acme", "accepted") == 1
    assert served.events("acme", "logins") == 2
    ignored = served.gateway.metrics.registry.get_sample_value(
        "healthscore_gateway_ignored_total", {"source": "acme"}
    )
    assert ignored == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json"},
        {"Content-Type": "application/json", "X-Test-Signature": "00" * 32},
    ],
)
async def test_a_missing_or_wrong_signature_is_401_and_produces_nothing(
    served: Served, headers: dict[str, str]
) -> None:
    body = orjson.dumps({"items": [login_item("1", "a1")]})
    reply = await served.client.post("/v1/sources/acme", content=body, headers=headers)
    assert reply.status_code == 401
    assert reply.json()["error"] == "unauthorized"
    assert "X-Test-Signature" in reply.json()["detail"]
    assert served.link.produced == []
    assert served.count("acme", "unauthorized") == 1


async def test_a_signed_but_tampered_body_is_401(served: Served) -> None:
    body, headers = signed({"items": [login_item("1", "a1")]})
    tampered = body.replace(b"a1", b"a2")
    reply = await served.client.post("/v1/sources/acme", content=tampered, headers=headers)
    assert reply.status_code == 401 and served.link.produced == []


async def test_an_unmappable_payload_is_400_naming_the_item_and_produces_nothing(
    served: Served,
) -> None:
    body, headers = signed({"items": [login_item("1", "a1"), {"kind": "purchase"}]})
    reply = await served.client.post("/v1/sources/acme", content=body, headers=headers)
    assert reply.status_code == 400
    assert reply.json() == {"error": "unmappable",
                            "detail": "items[1].kind: unknown kind 'purchase'"}  # fmt: skip
    assert served.link.produced == []
    assert served.count("acme", "unmappable") == 1


async def test_signed_garbage_is_400_invalid_json(served: Served) -> None:
    body = b"\xff\xfe{nope"
    headers = {"Content-Type": "application/json", "X-Test-Signature": SignedSource().sign(body)}
    reply = await served.client.post("/v1/sources/acme", content=body, headers=headers)
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_json"
    assert "not valid JSON" in reply.json()["detail"]
    assert served.count("acme", "invalid_json") == 1


async def test_kafka_failing_is_503_with_retry_after_and_counted(served: Served) -> None:
    served.link.failing = True
    body, headers = signed({"items": [login_item("1", "a1")]})
    reply = await served.client.post("/v1/sources/acme", content=body, headers=headers)
    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"
    assert reply.json()["error"] == "unavailable"
    assert "retry after 5 s" in reply.json()["detail"]
    assert served.count("acme", "unavailable") == 1
    assert served.events("acme", "logins") == 0
    ready = await served.client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["ready"] is False

    served.link.failing = False
    assert (await served.client.get("/readyz")).status_code == 200
    again = await served.client.post("/v1/sources/acme", content=body, headers=headers)
    assert again.status_code == 202 and served.events("acme", "logins") == 1


async def test_until_kafka_is_connected_requests_get_503_and_readyz_says_why(
    served: Served,
) -> None:
    served.link.connected = False
    reply = await served.client.post(
        "/v1/events/logins",
        content=orjson.dumps(own_login("e1", "a1", datetime.now(UTC))),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    assert reply.status_code == 503 and "Retry-After" in reply.headers
    ready = await served.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"ready": False, "reason": "not connected to Kafka yet"}
    metrics = (await served.client.get("/metrics")).text
    assert "healthscore_gateway_kafka_up 0.0" in metrics


async def test_a_body_declared_over_the_limit_is_413_before_it_is_read(served: Served) -> None:
    body, headers = signed({"items": [login_item("1", "a1", pad="x" * LIMIT)]})
    reply = await served.client.post("/v1/sources/acme", content=body, headers=headers)
    assert reply.status_code == 413 and reply.json()["error"] == "too_large"
    assert f"over the {LIMIT:,}-byte limit" in reply.json()["detail"]
    assert served.count("acme", "too_large") == 1 and served.link.produced == []


async def test_a_chunked_body_over_the_limit_is_413_too(served: Served) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b" " * 4096

    headers = {"Content-Type": "application/json", "X-Test-Signature": "0"}
    reply = await served.client.post("/v1/sources/acme", content=chunks(), headers=headers)
    assert reply.status_code == 413
    assert served.count("acme", "too_large") == 1


async def test_a_compressed_body_over_the_limit_once_inflated_is_413_too(served: Served) -> None:
    body = gzip.compress(b" " * (LIMIT + 1))  # a few hundred bytes declared
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip",
               "X-Test-Signature": "0"}  # fmt: skip
    reply = await served.client.post("/v1/sources/acme", content=body, headers=headers)
    assert reply.status_code == 413 and reply.json()["error"] == "too_large"
    assert reply.json()["detail"] == f"body over the {LIMIT:,}-byte limit"
    assert served.count("acme", "too_large") == 1


async def test_a_content_type_that_is_not_json_is_415(served: Served) -> None:
    body, headers = signed({"items": []})
    headers["Content-Type"] = "text/plain"
    reply = await served.client.post("/v1/sources/acme", content=body, headers=headers)
    assert reply.status_code == 415 and reply.json()["error"] == "unsupported_media_type"
    assert served.count("acme", "unsupported_media_type") == 1


async def test_unknown_sources_topics_and_routes_are_404_counted_without_their_names(
    served: Served,
) -> None:
    for path in ("/v1/sources/nosuch", "/v1/events/clicks", "/wp-login.php"):
        reply = await served.client.post(path, content=b"{}")
        assert reply.status_code == 404, path
        assert reply.json()["error"] == "not_found"
    assert served.count("none", "not_found") == 3
    reply = await served.client.get("/v1/sources/acme")
    assert reply.status_code == 405 and reply.headers["Allow"] == "POST"
    assert served.count("none", "method_not_allowed") == 1
    metrics = (await served.client.get("/metrics")).text
    assert "nosuch" not in metrics and "clicks" not in metrics and "wp-login" not in metrics


async def test_own_events_need_the_bearer_token(served: Served) -> None:
    event = orjson.dumps(own_login("e1", "a1", datetime.now(UTC) - timedelta(minutes=1)))
    json = {"Content-Type": "application/json"}
    for auth in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        reply = await served.client.post(
            "/v1/events/logins", content=event, headers={**json, **auth}
        )
        assert reply.status_code == 401 and reply.headers["WWW-Authenticate"] == "Bearer"
    assert served.count("events", "unauthorized") == 3 and served.link.produced == []
    good = {**json, "Authorization": f"Bearer {TOKEN}"}
    reply = await served.client.post("/v1/events/logins", content=event, headers=good)
    assert reply.status_code == 202 and reply.json() == {"accepted": 1, "ignored": 0}
    assert [m.key for m in served.link.produced] == [b"a1"]
    assert served.events("events", "logins") == 1


async def test_own_events_that_fail_validation_are_400_and_produce_nothing(
    served: Served,
) -> None:
    batch = [own_login("e1", "a1", datetime.now(UTC)), own_login("e2", "a1", datetime.now(UTC),
                                                                 role="ceo")]  # fmt: skip
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    reply = await served.client.post("/v1/events/logins", json=batch, headers=headers)
    assert reply.status_code == 400 and reply.json()["error"] == "invalid"
    assert "event 1: schema_violation: role" in reply.json()["detail"]
    assert served.link.produced == [] and served.count("events", "invalid") == 1


async def test_without_a_token_own_events_are_off(served: Served) -> None:
    options = GatewayOptions(max_body_bytes=LIMIT, token=None, max_age=MAX_AGE)
    gateway = Gateway({}, served.link, options, GatewayMetrics())
    async with (
        serving(gateway.app(), "127.0.0.1", 0) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client,
    ):
        reply = await client.post(
            "/v1/events/logins", json=[], headers={"Authorization": "Bearer x"}
        )
    assert reply.status_code == 404 and "no HS_GATEWAY_TOKEN" in reply.json()["detail"]


async def test_a_failing_source_is_500_counted_and_the_gateway_goes_on(served: Served) -> None:
    body, headers = signed({"items": []})
    reply = await served.client.post("/v1/sources/broken", content=body, headers=headers)
    assert reply.status_code == 500 and reply.json() == {"error": "error",
                                                         "detail": "internal error"}  # fmt: skip
    assert served.count("broken", "error") == 1
    reply = await served.client.post("/v1/sources/acme", content=body, headers=headers)
    assert reply.status_code == 202


async def test_probes_answer_and_are_not_counted_as_requests(served: Served) -> None:
    assert (await served.client.get("/healthz")).json() == {"status": "ok"}
    assert (await served.client.get("/readyz")).json() == {"ready": True, "reason": None}
    metrics = await served.client.get("/metrics")
    assert metrics.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "healthscore_gateway_kafka_up 1.0" in metrics.text
    assert "healthscore_gateway_requests_total{" not in metrics.text
    served.gateway.stopping = True
    assert (await served.client.get("/readyz")).json() == {"ready": False,
                                                           "reason": "shutting down"}  # fmt: skip


async def test_every_answered_request_is_timed(served: Served) -> None:
    body, headers = signed({"items": []})
    await served.client.post("/v1/sources/acme", content=body, headers=headers)
    await served.client.post("/v1/sources/acme", content=body)
    count = served.gateway.metrics.registry.get_sample_value(
        "healthscore_gateway_request_duration_seconds_count", {"source": "acme"}
    )
    assert count == 2


async def test_a_request_whose_body_is_still_arriving_at_shutdown_is_answered() -> None:
    link = FakeLink()
    options = GatewayOptions(max_body_bytes=LIMIT, token=TOKEN.encode(), max_age=MAX_AGE)
    gateway = Gateway({}, link, options, GatewayMetrics())
    started = asyncio.Event()
    event = orjson.dumps(own_login("e1", "a1", datetime.now(UTC)))

    async def slowly() -> AsyncIterator[bytes]:
        yield event[:10]
        started.set()
        await asyncio.sleep(0.5)
        yield event[10:]

    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(timeout=10) as client:
        server = serving(gateway.app(), "127.0.0.1", 0, 5, gateway.drain)
        port = await server.__aenter__()
        url = f"http://127.0.0.1:{port}/v1/events/logins"
        sending = asyncio.create_task(client.post(url, content=slowly(), headers=headers))
        await started.wait()
        await asyncio.sleep(0.1)  # the handler is reading the body
        gateway.stopping = True
        await server.__aexit__(None, None, None)  # returns once the request is answered
        assert sending.done()
        reply = sending.result()
    assert reply.status_code == 202 and [m.key for m in link.produced] == [b"a1"]
    assert reply.headers["Connection"] == "close"
