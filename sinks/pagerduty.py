"""PagerDuty Events API v2: trigger on firing/repeated, resolve on resolved.

An `expansion_opportunity` is an opportunity, not an incident: it carries severity
`info`, which a service with urgency "based on alert severity" turns into a
low-urgency incident, and default routing never pages it.

Every event of an alert shares the deterministic `dedup_key`
`healthscore:{kind}:{account_id}`, so a reminder or escalation updates the open
incident instead of opening another, and the resolve closes it. After a
resolve, the next firing of the same key opens a new incident.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr

from models.alerting.event import AlertEvent, AlertStatus
from sinks.base import account_link, clip
from sinks.transport import Redactor, json_body, post_json

DEFAULT_BASE_URL = "https://events.pagerduty.com"
SUMMARY_LIMIT = 1024
DEDUP_KEY_LIMIT = 255


def pagerduty_dedup_key(alert: AlertEvent) -> str:
    return clip(f"healthscore:{alert.kind.value}:{alert.account_id}", DEDUP_KEY_LIMIT)


def build_event(
    alert: AlertEvent, routing_key: str, account_url_base: str | None = None
) -> dict[str, Any]:
    """The Events API v2 body for `alert` (a resolve carries only what PagerDuty reads)."""
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "dedup_key": pagerduty_dedup_key(alert),
        "event_action": "resolve" if alert.status is AlertStatus.RESOLVED else "trigger",
    }
    if alert.status is AlertStatus.RESOLVED:
        return event
    link = account_link(account_url_base, alert.account_id)
    event["client"] = "healthscore"
    if link:
        event["client_url"] = link
        event["links"] = [{"href": link, "text": "Open account"}]
    payload: dict[str, Any] = {
        "summary": clip(alert.summary, SUMMARY_LIMIT),
        "source": f"healthscore/account/{alert.account_id}",
        "severity": alert.severity.value,
        "timestamp": alert.at.isoformat(),
        "component": alert.display_name,
        "class": alert.kind.value,
        "custom_details": _details(alert),
    }
    if alert.segment:
        payload["group"] = alert.segment
    event["payload"] = payload
    return event


def _details(alert: AlertEvent) -> dict[str, Any]:
    details = {
        "account_id": alert.account_id,
        "account_name": alert.name,
        "status": alert.status.value,
        "score": alert.score,
        "baseline_score": alert.baseline_score,
        "band": alert.band.value,
        "previous_band": alert.previous_band.value if alert.previous_band else None,
        "arr": alert.arr,
        "renewal_date": alert.renewal_date.isoformat() if alert.renewal_date else None,
        "csm_owner": alert.csm_owner,
        "segment": alert.segment,
        "region": alert.region,
        "episode_started_at": alert.episode_started_at.isoformat(),
        "model_version": alert.model_version,
        "event_id": alert.event_id,
        "drivers": [
            {"code": d.code, "text": d.text, "impact": d.impact} for d in alert.top_drivers(5)
        ],
    }
    if alert.is_opportunity:  # its drivers are then its growth signals
        details["growth_strength"] = alert.growth_strength
    return details


class PagerDutySink:
    """Sends alerts to one PagerDuty service integration (its routing key)."""

    name = "pagerduty"

    def __init__(
        self,
        client: httpx.AsyncClient,
        routing_key: SecretStr,
        *,
        base_url: str = DEFAULT_BASE_URL,
        account_url_base: str | None = None,
    ) -> None:
        self._client = client
        self._routing_key = routing_key
        self._url = f"{base_url.rstrip('/')}/v2/enqueue"
        self._account_url_base = account_url_base
        self._redact = Redactor(secrets=[routing_key.get_secret_value()])

    def __repr__(self) -> str:
        return f"PagerDutySink(url={self._url!r}, routing_key=SecretStr('**********'))"

    async def send(self, alert: AlertEvent) -> None:
        body = build_event(alert, self._routing_key.get_secret_value(), self._account_url_base)
        await post_json(
            self._client,
            self._url,
            json_body(body),
            sink=self.name,
            accepted=frozenset({200, 202}),
            redact=self._redact,
        )
