"""Wiring for the worker: build the configured sinks, route each alert, deliver it.

sinks = build_sinks(client, SinkSettings(slack_webhook_url=..., ...))
dispatcher = AlertDispatcher(load_routes(path), sinks, PostgresRecorder(pool),
                             counter=metrics.alert_deliveries)
await dispatcher.dispatch(alert)   # for each event read from `health.alerts`
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from prometheus_client import Counter
from pydantic import SecretStr

from models.alert_event import AlertEvent
from models.routing import Routes
from sinks.alertmanager import AlertmanagerSink
from sinks.base import AlertSink
from sinks.delivery import DeliveryOutcome, DeliveryRecorder, deliver
from sinks.exceptions import SinkConfigError
from sinks.pagerduty import DEFAULT_BASE_URL, PagerDutySink
from sinks.retry import RetryPolicy
from sinks.slack import SlackSink
from sinks.webhook import WebhookSink


@dataclass(frozen=True)
class SinkSettings:
    """What the sinks need from the `HS_` settings; a sink without its setting is off."""

    slack_webhook_url: SecretStr | None = None
    pagerduty_routing_key: SecretStr | None = None
    pagerduty_url: str = DEFAULT_BASE_URL
    alertmanager_url: SecretStr | str | None = None
    webhook_url: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    # Base of the account links in messages, e.g. the service's public URL.
    account_url_base: str | None = None


def build_sinks(client: httpx.AsyncClient, settings: SinkSettings) -> dict[str, AlertSink]:
    """The configured sinks by routing name; raises `SinkConfigError` naming the bad setting."""
    link = settings.account_url_base
    sinks: dict[str, AlertSink] = {}
    if settings.slack_webhook_url is not None:
        sinks["slack"] = SlackSink(client, settings.slack_webhook_url, account_url_base=link)
    if settings.pagerduty_routing_key is not None:
        sinks["pagerduty"] = PagerDutySink(
            client,
            settings.pagerduty_routing_key,
            base_url=settings.pagerduty_url,
            account_url_base=link,
        )
    if settings.alertmanager_url:
        sinks["alertmanager"] = AlertmanagerSink(
            client, settings.alertmanager_url, account_url_base=link
        )
    if (settings.webhook_url is None) != (settings.webhook_secret is None):
        raise SinkConfigError("HS_WEBHOOK_URL and HS_WEBHOOK_SECRET must be set together")
    if settings.webhook_url is not None and settings.webhook_secret is not None:
        sinks["webhook"] = WebhookSink(client, settings.webhook_url, settings.webhook_secret)
    return sinks


class AlertDispatcher:
    """Routes each alert event to its configured sinks and delivers it there."""

    def __init__(
        self,
        routes: Routes,
        sinks: Mapping[str, AlertSink],
        recorder: DeliveryRecorder,
        *,
        policy: RetryPolicy | None = None,
        counter: Counter | None = None,
    ) -> None:
        self._routes = routes
        self._sinks = dict(sinks)
        self._recorder = recorder
        self._policy = policy
        self._counter = counter

    def unconfigured_routes(self) -> set[str]:
        """Sinks the routes name that are not configured (worth a warning at start-up)."""
        return self._routes.referenced_sinks() - self._sinks.keys()

    async def dispatch(self, alert: AlertEvent) -> dict[str, DeliveryOutcome]:
        names = self._routes.sinks_for(alert, set(self._sinks))
        targets = [self._sinks[name] for name in names]
        return await deliver(
            alert, targets, self._recorder, policy=self._policy, counter=self._counter
        )
