"""Generic webhook: the AlertEvent JSON, signed with HMAC-SHA256, verified independently."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from models.alerting.event import AlertEvent
from sinks.exceptions import PermanentDeliveryError, RetryableDeliveryError
from sinks.webhook import WebhookSink
from tests.integration.alert_samples import opportunity_alert, sample_alert
from tests.integration.sink_receiver import Receiver, Reply, running_receiver

SECRET = "whsec_9f8e7d6c5b4a"
NOW = 1_740_821_400.7


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver(Reply(204, "")) as receiver:
        yield receiver


def sink(client: httpx.AsyncClient, url: str) -> WebhookSink:
    return WebhookSink(client, SecretStr(url), SecretStr(SECRET), clock=lambda: NOW)


async def test_body_is_the_alert_event_and_the_signature_verifies(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    alert = sample_alert()
    await sink(client, receiver.url + "/hooks/alerts").send(alert)
    [request] = receiver.requests
    assert request.path == "/hooks/alerts"
    assert AlertEvent.model_validate_json(request.body) == alert
    timestamp = request.headers["X-Healthscore-Timestamp"]
    assert timestamp == "1740821400"
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256)
    assert hmac.compare_digest(
        request.headers["X-Healthscore-Signature"], f"sha256={expected.hexdigest()}"
    )
    assert request.headers["X-Healthscore-Event-Id"] == alert.event_id


async def test_a_tampered_body_does_not_verify(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await sink(client, receiver.url).send(sample_alert())
    request = receiver.requests[0]
    tampered = request.body.replace(b"34.6", b"94.6")
    timestamp = request.headers["X-Healthscore-Timestamp"]
    digest = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + tampered, hashlib.sha256)
    assert not hmac.compare_digest(
        request.headers["X-Healthscore-Signature"], f"sha256={digest.hexdigest()}"
    )


async def test_rejections_hide_the_url_token_and_the_secret(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.script(Reply(401, f"bad signature, expected secret {SECRET}"))
    webhook = sink(client, receiver.url + "/hooks?token=t0psecrettoken")
    with pytest.raises(PermanentDeliveryError) as raised:
        await webhook.send(sample_alert())
    for text in (str(raised.value), repr(raised.value), repr(webhook)):
        assert SECRET not in text and "t0psecrettoken" not in text


async def test_unreachable_receiver_is_retryable_without_leaking_the_url(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    url = receiver.url + "/hooks?token=t0psecrettoken"
    await receiver.stop()
    with pytest.raises(RetryableDeliveryError) as raised:
        await sink(client, url).send(sample_alert())
    assert raised.value.status is None
    assert "t0psecrettoken" not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


async def test_an_expansion_opportunity_is_sent_as_its_event_with_its_growth_strength(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    alert = opportunity_alert()
    await sink(client, receiver.url).send(alert)
    [request] = receiver.requests
    assert AlertEvent.model_validate_json(request.body) == alert
    body = request.json()
    assert (body["kind"], body["severity"], body["growth_strength"]) == (
        "expansion_opportunity",
        "info",
        80.0,
    )
    timestamp = request.headers["X-Healthscore-Timestamp"]
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256)
    assert request.headers["X-Healthscore-Signature"] == f"sha256={expected.hexdigest()}"
