"""Alertmanager /api/v2/alerts: labels, annotations, startsAt/endsAt, against a real receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from models.alerting.event import AlertStatus, Severity
from sinks.alertmanager import AlertmanagerSink, build_alerts
from sinks.exceptions import PermanentDeliveryError
from tests.integration.alert_samples import (
    AT,
    STARTED,
    churned_resolve,
    opportunity_alert,
    sample_alert,
)
from tests.integration.sink_receiver import Receiver, Reply, running_receiver


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver(Reply(200, "")) as receiver:
        yield receiver


def sink(client: httpx.AsyncClient, url: str) -> AlertmanagerSink:
    return AlertmanagerSink(
        client,
        SecretStr(url),
        account_url_base="https://hs.example",
        firing_ttl=timedelta(hours=25),
    )


async def test_firing_alert_has_identity_labels_annotations_and_times(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await sink(client, receiver.url).send(sample_alert())
    [request] = receiver.requests
    assert request.path == "/api/v2/alerts"
    alerts = request.json()
    assert isinstance(alerts, list) and len(alerts) == 4
    firing = alerts[0]
    assert firing["labels"] == {
        "alertname": "HealthscoreBandEntered",
        "service": "healthscore",
        "account_id": "acme-42",
        "kind": "band_entered",
        "severity": "critical",
        "segment": "enterprise",
        "region": "emea",
    }
    notes = firing["annotations"]
    assert notes["summary"] == "Acme Corp is critical with a health score of 35 (was at risk)."
    assert "No login by the champion for 23 days" in notes["drivers"]
    assert "- No login by the champion for 23 days (-14)" in notes["description"]
    assert notes["csm_owner"] == "dana@example.com" and notes["renewal_date"] == "2025-04-15"
    assert all(isinstance(value, str) for value in notes.values())
    assert datetime.fromisoformat(firing["startsAt"]) == STARTED
    assert datetime.fromisoformat(firing["endsAt"]) == AT + timedelta(hours=25)
    assert firing["generatorURL"] == "https://hs.example/accounts/acme-42"


async def test_other_severities_of_the_same_alert_are_resolved(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await sink(client, receiver.url).send(
        sample_alert(AlertStatus.REPEATED, severity=Severity.ERROR)
    )
    alerts = receiver.requests[0].json()
    assert [a["labels"]["severity"] for a in alerts] == ["error", "info", "warning", "critical"]
    assert [datetime.fromisoformat(a["endsAt"]) > AT for a in alerts] == [True, False, False, False]
    identities = {tuple(sorted(set(a["labels"]) - {"severity"})) for a in alerts}
    assert len(identities) == 1


async def test_resolve_sets_ends_at_to_the_resolve_time(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await sink(client, receiver.url).send(sample_alert(AlertStatus.RESOLVED))
    alerts = receiver.requests[0].json()
    assert {datetime.fromisoformat(a["endsAt"]) for a in alerts} == {AT}
    assert {datetime.fromisoformat(a["startsAt"]) for a in alerts} == {STARTED}


async def test_a_churned_resolve_ends_the_alert_and_says_why(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await sink(client, receiver.url).send(churned_resolve())
    alerts = receiver.requests[0].json()
    assert {datetime.fromisoformat(a["endsAt"]) for a in alerts} == {AT}
    notes = alerts[0]["annotations"]
    assert notes["reason"] == "churned" and notes["status"] == "resolved"
    assert notes["summary"].endswith(
        "churned (250,000 ARR lost) and has left the active portfolio."
    )
    assert "reason" not in build_alerts(sample_alert(AlertStatus.RESOLVED))[0]["annotations"]


async def test_credentials_in_the_url_never_show(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.script(Reply(400, "bad alert"))
    url = receiver.url.replace("http://", "http://admin:hunter22pw@")
    alertmanager = sink(client, url)
    with pytest.raises(PermanentDeliveryError) as raised:
        await alertmanager.send(sample_alert())
    assert receiver.requests[0].headers["Authorization"].startswith("Basic ")
    for text in (str(raised.value), repr(alertmanager)):
        assert "hunter22pw" not in text


async def test_an_expansion_opportunity_is_an_info_alert_of_its_own_name(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await sink(client, receiver.url).send(opportunity_alert())
    alerts = receiver.requests[0].json()
    firing = alerts[0]
    labels = firing["labels"]
    assert (labels["alertname"], labels["kind"], labels["severity"]) == (
        "HealthscoreExpansionOpportunity",
        "expansion_opportunity",
        "info",
    )
    notes = firing["annotations"]
    assert notes["growth_strength"] == "80"
    assert "- Renewal in 45 days: the moment to propose more (+20)" in notes["description"]
    assert datetime.fromisoformat(firing["endsAt"]) == AT + timedelta(hours=25)
    assert [a["labels"]["severity"] for a in alerts[1:]] == ["warning", "error", "critical"]
    assert all(datetime.fromisoformat(a["endsAt"]) == AT for a in alerts[1:])
