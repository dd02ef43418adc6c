"""One JSON POST, with the HTTP outcome mapped onto the sink error types.

    2xx accepted (per sink)        -> returns the response
    429, 408, 5xx, network errors  -> RetryableDeliveryError (429/503 carry Retry-After)
    any other status               -> PermanentDeliveryError

Everything that ends up in an error message passes through `Redactor`, so a
webhook URL, routing key or signing secret never reaches logs. Errors are
raised `from None` because httpx exceptions can carry the request URL.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

import httpx

from sinks.exceptions import PermanentDeliveryError, RetryableDeliveryError

REDACTED = "[redacted]"
_MAX_DETAIL = 300


class Redactor:
    """Replaces secrets, and the sensitive parts of secret URLs, with `[redacted]`."""

    def __init__(self, secrets: Iterable[str] = (), secret_urls: Iterable[str] = ()) -> None:
        fragments = {s for s in secrets if s}
        for url in secret_urls:
            if not url:
                continue
            parts = urlsplit(url)
            fragments.update({url, parts.query, parts.password or ""})
            if len(parts.path) > 1:
                fragments.add(parts.path)
        # Longest first, so a URL is replaced whole before its path is.
        self._fragments = sorted((f for f in fragments if len(f) >= 4), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for fragment in self._fragments:
            text = text.replace(fragment, REDACTED)
        return text


def json_body(payload: object) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delay-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    *,
    sink: str,
    accepted: frozenset[int],
    redact: Redactor,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """POST `body` as JSON; return the response when its status is in `accepted`."""
    request_headers = {"Content-Type": "application/json", **(headers or {})}
    try:
        response = await client.post(url, content=body, headers=request_headers)
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
        raise PermanentDeliveryError(sink, f"bad URL: {redact(str(error))}") from None
    except httpx.TransportError as error:
        detail = redact(str(error)) or "no detail"
        raise RetryableDeliveryError(sink, f"{type(error).__name__}: {detail}") from None
    except httpx.HTTPError as error:
        raise PermanentDeliveryError(
            sink, f"{type(error).__name__}: {redact(str(error))}"
        ) from None
    status = response.status_code
    if status in accepted:
        return response
    detail = f"HTTP {status}: {redact(response.text[:_MAX_DETAIL])}".rstrip(": ")
    if status in (408, 429) or status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise RetryableDeliveryError(sink, detail, status, retry_after)
    raise PermanentDeliveryError(sink, detail, status)
