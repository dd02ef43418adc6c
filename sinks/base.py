"""The contract every alert sink fulfils, and helpers the sinks share.

A sink turns one `AlertEvent` into one request to one external system. It
does not retry, rate-limit across restarts, route or record: `sinks.delivery`
does that around it, so every sink stays a small translation of the event.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable
from urllib.parse import quote

from models.alerting.event import AlertEvent


@runtime_checkable
class AlertSink(Protocol):
    """Where alerts go: Slack, PagerDuty, Alertmanager, a webhook."""

    @property
    def name(self) -> str:
        """The sink's routing name (`slack`, `pagerduty`, `alertmanager`, `webhook`)."""
        ...

    async def send(self, alert: AlertEvent) -> None:
        """Deliver `alert` once; called by `sinks.delivery.deliver` for each attempt.

        Returns when the receiver accepted the alert. Raises
        `PermanentDeliveryError` when the receiver rejected it (retrying cannot
        help; the delivery is recorded as failed and kept for `resend_failed`),
        and `RetryableDeliveryError` when it may succeed later (429 with its
        `Retry-After`, 5xx, network errors). Never raises anything carrying a
        secret in its message.
        """
        ...


def account_link(base_url: str | None, account_id: str) -> str | None:
    """The page of one account under `base_url` (e.g. the service's `/accounts/{id}`)."""
    if not base_url:
        return None
    return f"{base_url.rstrip('/')}/accounts/{quote(account_id, safe='')}"


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
