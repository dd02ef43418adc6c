"""Generic JSON webhook, signed with HMAC-SHA256 (see docs/webhook-signature.md).

The body is the `AlertEvent` as JSON (UTF-8). Headers:

    X-Healthscore-Timestamp: <unix seconds>
    X-Healthscore-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}." + body)>
    X-Healthscore-Event-Id:  <event_id>   (replays and retries repeat it: de-duplicate on it)

Signing the timestamp with the body lets a receiver reject replays older
than a few minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

import httpx
from pydantic import SecretStr

from models.alerting.event import AlertEvent
from sinks.transport import Redactor, post_json

SIGNATURE_HEADER = "X-Healthscore-Signature"
TIMESTAMP_HEADER = "X-Healthscore-Timestamp"
EVENT_ID_HEADER = "X-Healthscore-Event-Id"


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The `X-Healthscore-Signature` value for `body` sent at `timestamp`."""
    digest = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


class WebhookSink:
    """POSTs each alert event to one URL; any 2xx is success."""

    name = "webhook"

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: SecretStr,
        secret: SecretStr,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._url = url
        self._secret = secret
        self._clock = clock
        self._redact = Redactor(
            secrets=[secret.get_secret_value()], secret_urls=[url.get_secret_value()]
        )

    def __repr__(self) -> str:
        return "WebhookSink(url=SecretStr('**********'), secret=SecretStr('**********'))"

    async def send(self, alert: AlertEvent) -> None:
        body = alert.model_dump_json().encode("utf-8")
        timestamp = str(int(self._clock()))
        signature = sign(self._secret.get_secret_value().encode("utf-8"), timestamp, body)
        await post_json(
            self._client,
            self._url.get_secret_value(),
            body,
            sink=self.name,
            accepted=frozenset(range(200, 300)),
            redact=self._redact,
            headers={
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: signature,
                EVENT_ID_HEADER: alert.event_id,
            },
        )
