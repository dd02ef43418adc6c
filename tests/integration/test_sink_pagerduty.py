"""PagerDuty Events API v2: exact trigger and resolve bodies, against a real receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest
from pydantic import SecretStr

from models.alerting.event import AlertStatus, Severity
from sinks.exceptions import PermanentDeliveryError, RetryableDeliveryError
from sinks.pagerduty import PagerDutySink
from tests.integration.alert_samples import AT, churned_resolve, opportunity_alert, sample_alert
from tests.integration.sink_receiver import Receiver, Reply, running_receiver

ROUTING_KEY = "R0UT1NGKEY0123456789abcdefABCDEF"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver(
        Reply(202, '{"status":"success","message":"Event processed"}')
    ) as r:
        yield r


def sink(client: httpx.AsyncClient, receiver: Receiver) -> PagerDutySink:
    return PagerDutySink(
        client, SecretStr(ROUTING_KEY), base_url=receiver.url, account_url_base="https://hs.example"
    )


async def test_trigger_then_resolve_share_one_dedup_key(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    pagerduty = sink(client, receiver)
    await pagerduty.send(sample_alert())
    await pagerduty.send(sample_alert(AlertStatus.REPEATED))
    await pagerduty.send(sample_alert(AlertStatus.RESOLVED))
    assert [r.path for r in receiver.requests] == ["/v2/enqueue"] * 3
    trigger, again, resolve = (r.json() for r in receiver.requests)
    assert [body["event_action"] for body in (trigger, again, resolve)] == [
        "trigger",
        "trigger",
        "resolve",
    ]
    assert {body["dedup_key"] for body in (trigger, again, resolve)} == {
        "healthscore:band_entered:acme-42"
    }
    assert {body["routing_key"] for body in (trigger, again, resolve)} == {ROUTING_KEY}
    assert resolve == {
        "routing_key": ROUTING_KEY,
        "dedup_key": "healthscore:band_entered:acme-42",
        "event_action": "resolve",
    }


async def test_a_churned_resolve_closes_the_incident_like_any_resolve(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await sink(client, receiver).send(churned_resolve())
    assert receiver.requests[0].json() == {
        "routing_key": ROUTING_KEY,
        "dedup_key": "healthscore:band_entered:acme-42",
        "event_action": "resolve",
    }


async def test_trigger_carries_the_documented_payload(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await sink(client, receiver).send(sample_alert())
    body = receiver.requests[0].json()
    payload = body["payload"]
    assert payload["summary"] == "Acme Corp is critical with a health score of 35 (was at risk)."
    assert payload["source"] == "healthscore/account/acme-42"
    assert payload["severity"] == "critical"
    assert datetime.fromisoformat(payload["timestamp"]) == AT
    assert (payload["component"], payload["group"], payload["class"]) == (
        "Acme & Sons <Corp>",
        "enterprise",
        "band_entered",
    )
    details = payload["custom_details"]
    assert details["score"] == 34.6 and details["arr"] == 250_000
    assert details["renewal_date"] == "2025-04-15"
    assert [d["code"] for d in details["drivers"]] == ["champion_silent", "urgent_tickets"]
    assert body["links"] == [
        {"href": "https://hs.example/accounts/acme-42", "text": "Open account"}
    ]
    assert body["client"] == "healthscore"
    assert len(receiver.requests[0].body) < 512 * 1024


@pytest.mark.parametrize("severity", list(Severity))
async def test_lengths_and_severities_stay_within_the_api(
    client: httpx.AsyncClient, receiver: Receiver, severity: Severity
) -> None:
    await sink(client, receiver).send(sample_alert(huge=True, severity=severity))
    body = receiver.requests[0].json()
    assert len(body["payload"]["summary"]) <= 1024
    assert len(body["dedup_key"]) <= 255
    assert body["payload"]["severity"] in {"critical", "error", "warning", "info"}


async def test_400_is_permanent_and_hides_the_routing_key(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.script(Reply(400, f'{{"status":"invalid event","errors":["bad key {ROUTING_KEY}"]}}'))
    pagerduty = sink(client, receiver)
    with pytest.raises(PermanentDeliveryError) as raised:
        await pagerduty.send(sample_alert())
    for text in (str(raised.value), repr(raised.value), repr(pagerduty)):
        assert ROUTING_KEY not in text


async def test_429_and_5xx_are_retryable(client: httpx.AsyncClient, receiver: Receiver) -> None:
    receiver.script(Reply(429, "", {"Retry-After": "3"}), Reply(502, "bad gateway"))
    pagerduty = sink(client, receiver)
    with pytest.raises(RetryableDeliveryError) as raised:
        await pagerduty.send(sample_alert())
    assert raised.value.retry_after == 3.0
    with pytest.raises(RetryableDeliveryError) as raised:
        await pagerduty.send(sample_alert())
    assert (raised.value.status, raised.value.retry_after) == (502, None)


async def test_an_expansion_opportunity_triggers_at_info_and_resolves_with_its_key(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    pagerduty = sink(client, receiver)
    await pagerduty.send(opportunity_alert())
    await pagerduty.send(opportunity_alert(AlertStatus.RESOLVED))
    trigger, resolve = (r.json() for r in receiver.requests)
    assert trigger["event_action"] == "trigger"
    assert trigger["dedup_key"] == "healthscore:expansion_opportunity:acme-42"
    payload = trigger["payload"]
    assert (payload["severity"], payload["class"]) == ("info", "expansion_opportunity")
    assert payload["summary"].startswith("Acme & Sons <Corp> is an expansion candidate")
    details = payload["custom_details"]
    assert details["growth_strength"] == 80
    assert [d["code"] for d in details["drivers"]] == [
        "growth.users_rising",
        "growth.decision_maker_promoters",
        "growth.renewal_approaching",
    ]
    assert (resolve["event_action"], resolve["dedup_key"]) == ("resolve", trigger["dedup_key"])
    risk = (await _trigger_of(pagerduty, receiver))["payload"]["custom_details"]
    assert "growth_strength" not in risk  # a risk's details are what they always were


async def _trigger_of(pagerduty: PagerDutySink, receiver: Receiver) -> dict[str, object]:
    await pagerduty.send(sample_alert())
    body: dict[str, object] = receiver.requests[-1].json()
    return body
