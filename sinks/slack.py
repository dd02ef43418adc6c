"""Slack incoming webhook: one Block Kit message per alert event.

A webhook cannot edit an earlier message, so a resolve (and a reminder) is a
new message. Links are mrkdwn (`<url|Open account>`): buttons sent through a
plain webhook warn when clicked unless the Slack app has an interactivity URL.
An `expansion_opportunity` reads as good news: its own icon, its growth
strength, and its growth signals where a risk shows its drivers.
The message stays within Slack's limits: header <= 150 chars, section text
<= 3000, <= 10 fields of <= 2000, <= 10 context elements, <= 50 blocks.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from pydantic import SecretStr

from models.alerting.event import AlertEvent, AlertStatus, ResolveReason, Severity
from models.alerting.text import band_words
from sinks.base import account_link, clip
from sinks.exceptions import PermanentDeliveryError
from sinks.rate_limit import TokenBucket
from sinks.transport import Redactor, json_body, post_json

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
TEXT_FALLBACK_LIMIT = 3000

# An opportunity is good news: it gets its own icon, never a severity's coloured circle.
OPPORTUNITY_ICON = ":seedling:"
_ICONS = {
    Severity.CRITICAL: ":red_circle:",
    Severity.ERROR: ":large_orange_circle:",
    Severity.WARNING: ":large_yellow_circle:",
    Severity.INFO: ":large_blue_circle:",
}


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters, escaped as its docs require."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _money(value: float | None) -> str:
    return "—" if value is None else f"${value:,.0f}"


def _renewal(renewal: date | None, today: date) -> str:
    if renewal is None:
        return "—"
    days = (renewal - today).days
    if days < 0:
        return f"{renewal.isoformat()} (passed)"
    return f"{renewal.isoformat()} (in {days} days)"


def _score(alert: AlertEvent) -> str:
    text = f"{alert.score:.0f}"
    if alert.baseline_score is not None and round(alert.baseline_score) != round(alert.score):
        change = alert.score - alert.baseline_score
        arrow = "▲" if change > 0 else "▼"
        text += f" ({arrow} {abs(change):.0f} from {alert.baseline_score:.0f})"
    return text


def _churned(alert: AlertEvent) -> bool:
    return alert.reason is ResolveReason.CHURNED


def _band(alert: AlertEvent) -> str:
    if _churned(alert):  # out of the portfolio: its score's band no longer means risk
        return "churned"
    now = band_words(alert.band)
    if alert.previous_band is None or alert.previous_band == alert.band:
        return now
    return f"{band_words(alert.previous_band)} → {now}"


def _title(alert: AlertEvent) -> str:
    if _churned(alert):
        return f":no_entry: Churned: {alert.display_name}"
    if alert.status is AlertStatus.RESOLVED:
        return f":white_check_mark: Resolved: {alert.display_name}"
    kind = alert.kind.value.replace("_", " ")
    prefix = "Still open: " if alert.status is AlertStatus.REPEATED else ""
    icon = OPPORTUNITY_ICON if alert.is_opportunity else _ICONS[alert.severity]
    return f"{icon} {prefix}{alert.display_name}: {kind}"


def _fields(alert: AlertEvent) -> list[tuple[str, str]]:
    fields = [
        ("Score", _score(alert)),
        ("Band", _band(alert)),
        ("ARR", _money(alert.arr)),
        ("Renewal", _renewal(alert.renewal_date, alert.at.date())),
        ("Owner", alert.csm_owner or "—"),
        ("Segment", alert.segment or "—"),
        ("Severity", alert.severity.value),
        (
            "Status",
            f"{alert.status.value} ({alert.reason.value})" if alert.reason else alert.status.value,
        ),
    ]
    if alert.is_opportunity:
        strength = alert.growth_strength
        fields.insert(0, ("Growth", "—" if strength is None else f"{strength:.0f} of 100"))
    return fields


def build_message(alert: AlertEvent, account_url_base: str | None = None) -> dict[str, Any]:
    """The webhook body: Block Kit `blocks` plus the `text` notification fallback."""
    name = escape_mrkdwn(alert.display_name)
    fields = _fields(alert)
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": clip(_title(alert), HEADER_LIMIT)},
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": clip(escape_mrkdwn(alert.summary), SECTION_LIMIT)},
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": clip(f"*{label}*\n{escape_mrkdwn(value)}", FIELD_LIMIT)}
                for label, value in fields
            ],
        },
    ]
    drivers = alert.top_drivers(5)
    if drivers:
        lines = [f"• {escape_mrkdwn(d.text)} ({d.impact:+.0f})" for d in drivers]
        heading = "*Growth signals*" if alert.is_opportunity else "*Top drivers*"
        text = heading + "\n" + "\n".join(lines)
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}}
        )
    context = [
        f"Account `{escape_mrkdwn(alert.account_id)}`",
        f"model {escape_mrkdwn(alert.model_version)}",
    ]
    link = account_link(account_url_base, alert.account_id)
    if link:
        context.insert(0, f"<{link}|Open account>")
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": clip(item, FIELD_LIMIT)} for item in context],
        }
    )
    label = "OPPORTUNITY" if alert.is_opportunity else alert.severity.value.upper()
    fallback = f"[{label}] {name}: {escape_mrkdwn(alert.summary)}"
    return {"text": clip(fallback, TEXT_FALLBACK_LIMIT), "blocks": blocks}


class SlackSink:
    """Posts alerts to one Slack incoming webhook, at most about one message per second."""

    name = "slack"

    def __init__(
        self,
        client: httpx.AsyncClient,
        webhook_url: SecretStr,
        *,
        account_url_base: str | None = None,
        rate_limiter: TokenBucket | None = None,
    ) -> None:
        self._client = client
        self._webhook_url = webhook_url
        self._account_url_base = account_url_base
        self._rate_limiter = rate_limiter or TokenBucket(rate=1.0, burst=3)
        self._redact = Redactor(secret_urls=[webhook_url.get_secret_value()])

    def __repr__(self) -> str:
        return "SlackSink(webhook_url=SecretStr('**********'))"

    async def send(self, alert: AlertEvent) -> None:
        await self._rate_limiter.acquire()
        response = await post_json(
            self._client,
            self._webhook_url.get_secret_value(),
            json_body(build_message(alert, self._account_url_base)),
            sink=self.name,
            accepted=frozenset({200}),
            redact=self._redact,
        )
        if response.text.strip() != "ok":
            body = self._redact(response.text[:200])
            raise PermanentDeliveryError(self.name, f"HTTP 200 without `ok`: {body}", 200)
