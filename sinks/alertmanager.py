"""Prometheus Alertmanager: `POST {url}/api/v2/alerts` with a JSON array of alerts.

Alertmanager identifies an alert by its label set. Labels carry `severity`
(so Alertmanager routes on it), which changes when an episode escalates; to
keep exactly one active alert per account and kind, every post also resolves
the same alert at the other severities (resolving an alert that never fired
is a no-op for notifications).

Alertmanager resolves a firing alert by itself once `endsAt` passes, and we
re-post only on reminders, so a firing alert's `endsAt` is `firing_ttl` after
the event: keep it longer than the alert rules' `repeat_interval`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from models.alerting.event import AlertEvent, AlertKind, AlertStatus, Severity
from sinks.base import account_link
from sinks.transport import Redactor, json_body, post_json

ALERT_NAMES = {
    AlertKind.BAND_ENTERED: "HealthscoreBandEntered",
    AlertKind.SCORE_DROP: "HealthscoreScoreDrop",
    AlertKind.RENEWAL_RISK: "HealthscoreRenewalRisk",
    AlertKind.EXPANSION_OPPORTUNITY: "HealthscoreExpansionOpportunity",
}
DEFAULT_FIRING_TTL = timedelta(hours=25)


def _labels(alert: AlertEvent, severity: Severity) -> dict[str, str]:
    labels = {
        "alertname": ALERT_NAMES[alert.kind],
        "service": "healthscore",
        "account_id": alert.account_id,
        "kind": alert.kind.value,
        "severity": severity.value,
    }
    for key, value in (("segment", alert.segment), ("region", alert.region)):
        if value:
            labels[key] = value
    return labels


def _strength(value: float | None) -> str | None:
    return None if value is None else f"{value:.0f}"


def _annotations(alert: AlertEvent) -> dict[str, str]:
    drivers = alert.top_drivers(5)
    description = [alert.summary, f"Score {alert.score:.0f}, band {alert.band.value}."]
    description += [f"- {d.text} ({d.impact:+.0f})" for d in drivers]
    optional = {
        "account_name": alert.name,
        "csm_owner": alert.csm_owner,
        "arr": None if alert.arr is None else f"{alert.arr:.0f}",
        "renewal_date": alert.renewal_date.isoformat() if alert.renewal_date else None,
        "previous_band": alert.previous_band.value if alert.previous_band else None,
        # Why a resolve resolved: `cleared`, or `churned` (the account left the portfolio).
        "reason": alert.reason.value if alert.reason else None,
        # An opportunity's growth strength, 0-100 (its signals are the drivers).
        "growth_strength": _strength(alert.growth_strength),
    }
    annotations = {
        "summary": alert.summary,
        "description": "\n".join(description),
        "drivers": "; ".join(d.text for d in drivers),
        "score": f"{alert.score:.1f}",
        "band": alert.band.value,
        "status": alert.status.value,
        "event_id": alert.event_id,
        "model_version": alert.model_version,
    }
    annotations.update({key: value for key, value in optional.items() if value})
    return annotations


def build_alerts(
    alert: AlertEvent,
    account_url_base: str | None = None,
    firing_ttl: timedelta = DEFAULT_FIRING_TTL,
) -> list[dict[str, Any]]:
    """The request body: `alert` at its severity, plus resolves at the other severities."""
    resolved = alert.status is AlertStatus.RESOLVED
    ends_at = alert.at if resolved else alert.at + firing_ttl
    common = {
        "annotations": _annotations(alert),
        "startsAt": alert.episode_started_at.isoformat(),
        "generatorURL": account_link(account_url_base, alert.account_id) or "",
    }
    body = [{"labels": _labels(alert, alert.severity), **common, "endsAt": ends_at.isoformat()}]
    body += [
        {"labels": _labels(alert, other), **common, "endsAt": alert.at.isoformat()}
        for other in Severity
        if other is not alert.severity
    ]
    return body


class AlertmanagerSink:
    """Posts alerts to one Alertmanager (or a load balancer in front of a cluster)."""

    name = "alertmanager"

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: SecretStr | str,
        *,
        account_url_base: str | None = None,
        firing_ttl: timedelta = DEFAULT_FIRING_TTL,
    ) -> None:
        # The URL may carry basic-auth credentials, so it is treated as a secret.
        self._client = client
        url = url if isinstance(url, SecretStr) else SecretStr(url)
        self._url = url
        self._account_url_base = account_url_base
        self._firing_ttl = firing_ttl
        self._redact = Redactor(secret_urls=[url.get_secret_value()])

    def __repr__(self) -> str:
        return "AlertmanagerSink(url=SecretStr('**********'))"

    async def send(self, alert: AlertEvent) -> None:
        body = build_alerts(alert, self._account_url_base, self._firing_ttl)
        await post_json(
            self._client,
            f"{self._url.get_secret_value().rstrip('/')}/api/v2/alerts",
            json_body(body),
            sink=self.name,
            accepted=frozenset({200}),
            redact=self._redact,
        )
