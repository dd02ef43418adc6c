"""Delivery with retries against a real receiver: 429 then 5xx then 200, 400 kept, counting."""

from __future__ import annotations

import random

import httpx
import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from models.alerting.event import AlertEvent, Severity
from models.alerting.routing import load_routes
from sinks.delivery import DeliveryOutcome, InMemoryRecorder, deliver
from sinks.dispatch import SinkSettings, build_sinks
from sinks.exceptions import SinkConfigError
from sinks.metrics import create_metrics
from sinks.rate_limit import TokenBucket
from sinks.retry import RetryPolicy
from sinks.slack import SlackSink
from sinks.webhook import WebhookSink
from tests.integration.alert_samples import sample_alert
from tests.integration.sink_receiver import Receiver, Reply, running_receiver

POLICY = RetryPolicy(max_attempts=5, base_delay=0.001, max_delay=0.01)


class SleepLog:
    """Records requested waits instead of waiting them out."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def slack(client: httpx.AsyncClient, receiver: Receiver) -> SlackSink:
    fast = TokenBucket(rate=1000, burst=100)
    return SlackSink(client, SecretStr(receiver.url + "/services/T/B/x"), rate_limiter=fast)


async def test_429_then_5xx_then_200_is_delivered_once_with_every_attempt_recorded(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.script(
        Reply(429, "rate_limited", {"Retry-After": "2"}), Reply(500, "x"), Reply(503, "y")
    )
    recorder, sleep = InMemoryRecorder(), SleepLog()
    metrics = create_metrics(CollectorRegistry())
    alert = sample_alert()
    outcomes = await deliver(
        alert,
        [slack(client, receiver)],
        recorder,
        policy=POLICY,
        counter=metrics.alert_deliveries,
        sleep=sleep,
        rng=random.Random(1),
    )
    assert outcomes == {"slack": DeliveryOutcome.DELIVERED}
    assert len(receiver.requests) == 4
    assert [(a.attempt, a.outcome, a.http_status) for a in recorder.attempts] == [
        (1, DeliveryOutcome.RETRYING, 429),
        (2, DeliveryOutcome.RETRYING, 500),
        (3, DeliveryOutcome.RETRYING, 503),
        (4, DeliveryOutcome.DELIVERED, None),
    ]
    assert sleep.waits[0] == 2.0  # Retry-After honoured exactly
    assert all(0 <= wait <= POLICY.max_delay for wait in sleep.waits[1:])
    assert recorder.alerts == {alert.event_id: alert}

    labels = {"kind": "band_entered", "severity": "critical", "sink": "slack"}
    value = metrics.registry.get_sample_value
    assert value("healthscore_alert_deliveries_total", {**labels, "outcome": "retrying"}) == 3
    assert value("healthscore_alert_deliveries_total", {**labels, "outcome": "delivered"}) == 1

    again = await deliver(alert, [slack(client, receiver)], recorder, policy=POLICY, sleep=sleep)
    assert again == {"slack": DeliveryOutcome.DELIVERED}
    assert len(receiver.requests) == 4  # a replay after a restart does not notify twice


async def test_400_is_failed_at_once_and_kept(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.script(Reply(400, "invalid_payload"))
    recorder = InMemoryRecorder()
    alert = sample_alert()
    outcomes = await deliver(
        alert, [slack(client, receiver)], recorder, policy=POLICY, sleep=SleepLog()
    )
    assert outcomes == {"slack": DeliveryOutcome.FAILED}
    [attempt] = recorder.attempts
    assert (attempt.outcome, attempt.http_status) == (DeliveryOutcome.FAILED, 400)
    assert attempt.error is not None and "invalid_payload" in attempt.error
    assert recorder.final_outcomes() == {(alert.event_id, "slack"): DeliveryOutcome.FAILED}
    assert alert.event_id in recorder.alerts


async def test_out_of_attempts_is_failed(client: httpx.AsyncClient, receiver: Receiver) -> None:
    receiver.default = Reply(502, "bad gateway")
    recorder, sleep = InMemoryRecorder(), SleepLog()
    outcomes = await deliver(
        sample_alert(), [slack(client, receiver)], recorder, policy=POLICY, sleep=sleep
    )
    assert outcomes == {"slack": DeliveryOutcome.FAILED}
    assert [a.outcome for a in recorder.attempts] == [DeliveryOutcome.RETRYING] * 4 + [
        DeliveryOutcome.FAILED
    ]
    assert len(sleep.waits) == 4


async def test_sinks_are_delivered_independently(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    async with running_receiver(Reply(410, "channel_is_archived")) as broken:
        webhook = WebhookSink(client, SecretStr(receiver.url + "/hook"), SecretStr("s3cret-key"))
        outcomes = await deliver(
            sample_alert(), [slack(client, broken), webhook], InMemoryRecorder(), policy=POLICY
        )
    assert outcomes == {"slack": DeliveryOutcome.FAILED, "webhook": DeliveryOutcome.DELIVERED}


class ExplodingSink:
    name = "webhook"

    async def send(self, alert: AlertEvent) -> None:
        raise RuntimeError("bug with https://hooks.example/secret-path")


async def test_a_sink_bug_is_recorded_as_failed_without_its_message() -> None:
    recorder = InMemoryRecorder()
    outcomes = await deliver(sample_alert(), [ExplodingSink()], recorder, policy=POLICY)
    assert outcomes == {"webhook": DeliveryOutcome.FAILED}
    assert recorder.attempts[0].error == "webhook: unexpected RuntimeError"


async def test_default_routes_send_to_the_configured_sinks(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    settings = SinkSettings(
        slack_webhook_url=SecretStr(receiver.url + "/slack"),
        pagerduty_routing_key=SecretStr("R" * 32),
        pagerduty_url=receiver.url + "/pd",
        alertmanager_url=receiver.url + "/am",
        webhook_url=SecretStr(receiver.url + "/hook"),
        webhook_secret=SecretStr("hook-secret"),
        account_url_base="https://hs.example",
    )
    recorder = InMemoryRecorder()
    routes, sinks = load_routes(None), build_sinks(client, settings)

    async def dispatch(alert: AlertEvent) -> dict[str, DeliveryOutcome]:
        names = routes.sinks_for(alert, set(sinks))
        return await deliver(alert, [sinks[name] for name in names], recorder)

    critical = await dispatch(sample_alert())
    assert set(critical) == {"slack", "pagerduty", "alertmanager", "webhook"}
    assert set(critical.values()) == {DeliveryOutcome.DELIVERED}
    warning = await dispatch(
        sample_alert(severity=Severity.WARNING, event_id="acme-42:band_entered:w:firing:0")
    )
    assert set(warning) == {"slack", "alertmanager", "webhook"}
    assert sorted(r.path for r in receiver.requests) == sorted(
        [
            "/slack",
            "/pd/v2/enqueue",
            "/am/api/v2/alerts",
            "/hook",
            "/slack",
            "/am/api/v2/alerts",
            "/hook",
        ]
    )


def test_a_webhook_url_without_its_secret_is_a_config_error(client: httpx.AsyncClient) -> None:
    with pytest.raises(SinkConfigError, match="HS_WEBHOOK_SECRET"):
        build_sinks(client, SinkSettings(webhook_url=SecretStr("https://x.example/h")))
