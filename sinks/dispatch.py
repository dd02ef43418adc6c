"""Building the configured sinks from the `HS_` settings.

sinks = build_sinks(client, SinkSettings(slack_webhook_url=..., ...))
names = load_routes(path).sinks_for(alert, set(sinks))   # where one alert goes
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from sinks.alertmanager import AlertmanagerSink
from sinks.base import AlertSink
from sinks.exceptions import SinkConfigError
from sinks.pagerduty import DEFAULT_BASE_URL, PagerDutySink
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
