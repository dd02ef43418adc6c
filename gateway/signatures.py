"""How each vendor signs its webhooks, checked over the raw body in constant time.

- Segment: `X-Signature` = hex HMAC-SHA1(secret, body).
- Zendesk: `X-Zendesk-Webhook-Signature` = base64 HMAC-SHA256(secret,
  timestamp + body), the timestamp being `X-Zendesk-Webhook-Signature-Timestamp`.
- Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`, each v1 = hex
  HMAC-SHA256(secret, "<t>." + body).
- Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256(secret, body)>`.

Every check takes several secrets (a rotation on our side: old and new both
pass while the vendor is switched over) and passes when any of them matches.
Zendesk and Stripe sign a timestamp too: one further than `tolerance` seconds
from `now`, in either direction, is refused, so a captured request cannot be
replayed later. The `sign_*` functions produce the headers a vendor would send,
for tests and the demo.

A failure raises Unauthorized with a short reason that never contains a secret
or a computed signature.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from gateway.source import Unauthorized

DEFAULT_TOLERANCE_SECONDS = 300

SEGMENT_HEADER = "X-Signature"
ZENDESK_HEADER = "X-Zendesk-Webhook-Signature"
ZENDESK_TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
STRIPE_HEADER = "Stripe-Signature"
TYPEFORM_HEADER = "Typeform-Signature"

# A signature header longer than this is not one any vendor sends (Stripe's,
# with a few rotated v1 values, stays well under 1 KB).
_MAX_HEADER = 4096


def header(headers: Mapping[str, str], name: str) -> str | None:
    """`name`'s value, matched case-insensitively even on a plain dict."""
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def _required(headers: Mapping[str, str], name: str) -> str:
    value = header(headers, name)
    if value is None or not value.strip():
        raise Unauthorized(f"missing {name} header")
    if len(value) > _MAX_HEADER:
        raise Unauthorized(f"malformed {name} header: too long")
    return value.strip()


def _mac(secret: bytes, message: bytes, digest: str) -> bytes:
    return hmac.digest(secret, message, digest)  # OpenSSL's one-shot HMAC: hmac.new's bytes


def _any_matches(
    expected: Sequence[bytes], secrets: Sequence[bytes], sign: Callable[[bytes], bytes]
) -> bool:
    """True when some secret's MAC equals some expected value (all pairs compared)."""
    found = False
    for secret in secrets:
        mine = sign(secret)
        for candidate in expected:
            # Keep comparing after a match: the time taken does not say which pair matched.
            found |= hmac.compare_digest(mine, candidate)
    return found


def _check_time(stamp: float, now: float, tolerance: float, name: str) -> None:
    if abs(now - stamp) > tolerance:
        raise Unauthorized(f"stale {name}: more than {tolerance:g} s from the gateway's clock")


def verify_segment(headers: Mapping[str, str], body: bytes, secrets: Sequence[bytes]) -> None:
    value = _required(headers, SEGMENT_HEADER)
    try:
        given = bytes.fromhex(value)
    except ValueError:
        raise Unauthorized(f"malformed {SEGMENT_HEADER} header: not hex") from None
    if not _any_matches([given], secrets, lambda s: _mac(s, body, "sha1")):
        raise Unauthorized(f"{SEGMENT_HEADER} does not match the body")


def sign_segment(body: bytes, secret: bytes) -> dict[str, str]:
    return {SEGMENT_HEADER: _mac(secret, body, "sha1").hex()}


def _zendesk_time(value: str) -> float:
    """Zendesk's timestamp header is ISO 8601 (e.g. 2024-04-17T17:18:10Z)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Unauthorized(f"malformed {ZENDESK_TIMESTAMP_HEADER} header") from None
    if moment.tzinfo is None:
        raise Unauthorized(f"malformed {ZENDESK_TIMESTAMP_HEADER} header: no UTC offset")
    return moment.timestamp()


def verify_zendesk(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Sequence[bytes],
    now: float,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    value = _required(headers, ZENDESK_HEADER)
    stamp = _required(headers, ZENDESK_TIMESTAMP_HEADER)
    try:
        given = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise Unauthorized(f"malformed {ZENDESK_HEADER} header: not base64") from None
    _check_time(_zendesk_time(stamp), now, tolerance, ZENDESK_TIMESTAMP_HEADER)
    # The timestamp header value, exactly as sent, then the body: no separator.
    message = stamp.encode() + body
    if not _any_matches([given], secrets, lambda s: _mac(s, message, "sha256")):
        raise Unauthorized(f"{ZENDESK_HEADER} does not match the body")


def sign_zendesk(body: bytes, secret: bytes, timestamp: str) -> dict[str, str]:
    mac = _mac(secret, timestamp.encode() + body, "sha256")
    return {
        ZENDESK_HEADER: base64.b64encode(mac).decode(),
        ZENDESK_TIMESTAMP_HEADER: timestamp,
    }


def _stripe_parts(value: str) -> tuple[int, list[bytes]]:
    stamp: int | None = None
    signatures: list[bytes] = []
    for item in value.split(","):
        key, sep, text = item.strip().partition("=")
        if not sep:
            raise Unauthorized(f"malformed {STRIPE_HEADER} header")
        if key == "t":
            if not text.isdigit():
                raise Unauthorized(f"malformed {STRIPE_HEADER} header: t is not Unix seconds")
            stamp = int(text)
        elif key == "v1":
            try:
                signatures.append(bytes.fromhex(text))
            except ValueError:
                raise Unauthorized(f"malformed {STRIPE_HEADER} header: v1 is not hex") from None
        # Other schemes (v0, test-mode extras) are not signatures we check.
    if stamp is None:
        raise Unauthorized(f"malformed {STRIPE_HEADER} header: no t=")
    if not signatures:
        raise Unauthorized(f"malformed {STRIPE_HEADER} header: no v1 signature")
    return stamp, signatures


def verify_stripe(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Sequence[bytes],
    now: float,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    stamp, signatures = _stripe_parts(_required(headers, STRIPE_HEADER))
    _check_time(stamp, now, tolerance, f"{STRIPE_HEADER} timestamp")
    message = str(stamp).encode() + b"." + body
    if not _any_matches(signatures, secrets, lambda s: _mac(s, message, "sha256")):
        raise Unauthorized(f"no v1 value of {STRIPE_HEADER} matches the body")


def sign_stripe(body: bytes, secrets: Sequence[bytes], timestamp: int) -> dict[str, str]:
    """One v1 per secret, as Stripe sends while an endpoint secret is being rolled."""
    message = str(timestamp).encode() + b"." + body
    v1 = ",".join(f"v1={_mac(s, message, 'sha256').hex()}" for s in secrets)
    return {STRIPE_HEADER: f"t={timestamp},{v1}"}


def verify_typeform(headers: Mapping[str, str], body: bytes, secrets: Sequence[bytes]) -> None:
    value = _required(headers, TYPEFORM_HEADER)
    scheme, sep, encoded = value.partition("=")
    if not sep or scheme != "sha256":
        raise Unauthorized(f"malformed {TYPEFORM_HEADER} header: expected sha256=<base64>")
    try:
        given = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise Unauthorized(f"malformed {TYPEFORM_HEADER} header: not base64") from None
    if not _any_matches([given], secrets, lambda s: _mac(s, body, "sha256")):
        raise Unauthorized(f"{TYPEFORM_HEADER} does not match the body")


def sign_typeform(body: bytes, secret: bytes) -> dict[str, str]:
    return {TYPEFORM_HEADER: "sha256=" + base64.b64encode(_mac(secret, body, "sha256")).decode()}
