"""Errors raised by the alert sinks.

    HealthscoreError
    └── SinkError
        ├── SinkConfigError            a sink's settings are unusable
        └── DeliveryError              one delivery attempt did not succeed
            ├── PermanentDeliveryError     retrying cannot help (4xx other than 408/429)
            └── RetryableDeliveryError     may succeed later (429, 5xx, network); `retry_after`

Messages never contain secrets (webhook URLs, routing keys, signing secrets):
sinks redact them before raising.
"""

from __future__ import annotations

from models.exceptions import HealthscoreError


class SinkError(HealthscoreError):
    """Something went wrong in an alert sink."""


class SinkConfigError(SinkError):
    """A sink's settings are missing or malformed."""


class DeliveryError(SinkError):
    """One attempt to deliver an alert to `sink` failed; `status` is the HTTP status, if any."""

    def __init__(self, sink: str, detail: str, status: int | None = None) -> None:
        super().__init__(f"{sink}: {detail}")
        self.sink = sink
        self.detail = detail
        self.status = status


class PermanentDeliveryError(DeliveryError):
    """The receiver rejected the alert; sending it again unchanged will fail again."""


class RetryableDeliveryError(DeliveryError):
    """The receiver could not take the alert now; `retry_after` is its requested wait (s)."""

    def __init__(
        self, sink: str, detail: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(sink, detail, status)
        self.retry_after = retry_after
