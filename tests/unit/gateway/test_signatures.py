"""Each vendor's signature, against vectors computed with `openssl dgst -hmac` (not with
our code): valid, tampered body, stale timestamp, wrong secret, rotated secret,
missing or malformed header."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gateway.signatures import (
    sign_segment,
    sign_stripe,
    sign_typeform,
    sign_zendesk,
    verify_segment,
    verify_stripe,
    verify_typeform,
    verify_zendesk,
)
from gateway.source import Unauthorized

BODY = b'{"type":"track","messageId":"m-1"}'
TAMPERED = b'{"type":"track","messageId":"m-2"}'
NOW = 1772445600  # 2026-03-02T10:00:00Z
ZD_TIME = "2026-03-02T10:00:00Z"

# printf '%s' BODY | openssl dgst -sha1 -hmac seg-secret
SEGMENT_VECTOR = "e45a6de3a28e91ad7fa471edecf46dc1a4aff53d"
# (printf ZD_TIME; printf BODY) | openssl dgst -sha256 -hmac zd-secret -binary | base64
ZENDESK_VECTOR = "Q8HtEEHnqWOKjWoYXT6vD4o/HabqbC6yf9U2nLVMzZ4="
# (printf '1772445600.'; printf BODY) | openssl dgst -sha256 -hmac whsec_test123
STRIPE_VECTOR = "cac8d09ca3f157a6d601cf014dc450aceafeb155abbecb555b66b1cd8d376b2e"
# printf BODY | openssl dgst -sha256 -hmac tf-secret -binary | base64
TYPEFORM_VECTOR = "Z3Ou9I/mYE2Xi5Z6lN4kd6rKPKzcQ3f1WnWZC12K6v4="


def refused(check: Callable[[], None], reason: str) -> None:
    with pytest.raises(Unauthorized, match=reason):
        check()


# --- Segment ---------------------------------------------------------------


def test_segment_accepts_the_vendor_signature() -> None:
    verify_segment({"X-Signature": SEGMENT_VECTOR}, BODY, [b"seg-secret"])
    assert sign_segment(BODY, b"seg-secret") == {"X-Signature": SEGMENT_VECTOR}


def test_segment_header_name_is_matched_in_any_case() -> None:
    verify_segment({"x-signature": SEGMENT_VECTOR.upper()}, BODY, [b"seg-secret"])


def test_segment_refuses_a_tampered_body_and_a_wrong_secret() -> None:
    headers = {"X-Signature": SEGMENT_VECTOR}
    refused(lambda: verify_segment(headers, TAMPERED, [b"seg-secret"]), "does not match")
    refused(lambda: verify_segment(headers, BODY, [b"other"]), "does not match")


def test_segment_passes_with_any_of_several_secrets() -> None:
    verify_segment({"X-Signature": SEGMENT_VECTOR}, BODY, [b"new-secret", b"seg-secret"])


def test_segment_refuses_missing_and_malformed_headers() -> None:
    refused(lambda: verify_segment({}, BODY, [b"seg-secret"]), "missing X-Signature")
    refused(lambda: verify_segment({"X-Signature": "zz"}, BODY, [b"seg-secret"]), "not hex")


# --- Zendesk ---------------------------------------------------------------


def zendesk_headers(signature: str = ZENDESK_VECTOR, stamp: str = ZD_TIME) -> dict[str, str]:
    return {
        "X-Zendesk-Webhook-Signature": signature,
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }


def test_zendesk_accepts_the_vendor_signature() -> None:
    verify_zendesk(zendesk_headers(), BODY, [b"zd-secret"], NOW)
    assert sign_zendesk(BODY, b"zd-secret", ZD_TIME) == zendesk_headers()


def test_zendesk_refuses_a_tampered_body_a_wrong_secret_and_a_changed_timestamp() -> None:
    refused(lambda: verify_zendesk(zendesk_headers(), TAMPERED, [b"zd-secret"], NOW), "match")
    refused(lambda: verify_zendesk(zendesk_headers(), BODY, [b"nope"], NOW), "match")
    later = zendesk_headers(stamp="2026-03-02T10:00:01Z")
    refused(lambda: verify_zendesk(later, BODY, [b"zd-secret"], NOW), "match")


@pytest.mark.parametrize("offset", [-301, 301])
def test_zendesk_refuses_a_timestamp_beyond_the_tolerance_either_way(offset: int) -> None:
    refused(lambda: verify_zendesk(zendesk_headers(), BODY, [b"zd-secret"], NOW + offset), "stale")


def test_zendesk_tolerance_is_configurable() -> None:
    verify_zendesk(zendesk_headers(), BODY, [b"zd-secret"], NOW + 299)
    refused(
        lambda: verify_zendesk(zendesk_headers(), BODY, [b"zd-secret"], NOW + 61, tolerance=60),
        "stale",
    )


def test_zendesk_passes_with_a_rotated_secret() -> None:
    verify_zendesk(zendesk_headers(), BODY, [b"fresh", b"zd-secret"], NOW)


def test_zendesk_refuses_missing_and_malformed_headers() -> None:
    only_signature = {"X-Zendesk-Webhook-Signature": ZENDESK_VECTOR}
    refused(lambda: verify_zendesk(only_signature, BODY, [b"zd-secret"], NOW), "Timestamp")
    refused(lambda: verify_zendesk(zendesk_headers("%%%"), BODY, [b"zd-secret"], NOW), "not base64")
    refused(
        lambda: verify_zendesk(zendesk_headers(stamp="yesterday"), BODY, [b"zd-secret"], NOW),
        "malformed",
    )


# --- Stripe ----------------------------------------------------------------


def test_stripe_accepts_the_vendor_signature() -> None:
    header = f"t={NOW},v1={STRIPE_VECTOR}"
    verify_stripe({"Stripe-Signature": header}, BODY, [b"whsec_test123"], NOW)
    assert sign_stripe(BODY, [b"whsec_test123"], NOW) == {"Stripe-Signature": header}


def test_stripe_passes_when_any_v1_matches_during_the_vendors_rotation() -> None:
    header = f"t={NOW},v1={'0' * 64},v1={STRIPE_VECTOR},v0=abc"
    verify_stripe({"Stripe-Signature": header}, BODY, [b"whsec_test123"], NOW)


def test_stripe_passes_with_any_of_our_secrets() -> None:
    header = {"Stripe-Signature": f"t={NOW},v1={STRIPE_VECTOR}"}
    verify_stripe(header, BODY, [b"whsec_new", b"whsec_test123"], NOW)


def test_stripe_refuses_tampering_wrong_secret_and_a_moved_timestamp() -> None:
    header = {"Stripe-Signature": f"t={NOW},v1={STRIPE_VECTOR}"}
    refused(lambda: verify_stripe(header, TAMPERED, [b"whsec_test123"], NOW), "no v1")
    refused(lambda: verify_stripe(header, BODY, [b"whsec_other"], NOW), "no v1")
    moved = {"Stripe-Signature": f"t={NOW + 1},v1={STRIPE_VECTOR}"}
    refused(lambda: verify_stripe(moved, BODY, [b"whsec_test123"], NOW), "no v1")


@pytest.mark.parametrize("offset", [-301, 301])
def test_stripe_refuses_a_stale_timestamp(offset: int) -> None:
    header = {"Stripe-Signature": f"t={NOW},v1={STRIPE_VECTOR}"}
    refused(lambda: verify_stripe(header, BODY, [b"whsec_test123"], NOW + offset), "stale")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (f"v1={STRIPE_VECTOR}", "no t="),
        (f"t={NOW}", "no v1"),
        (f"t=soon,v1={STRIPE_VECTOR}", "Unix seconds"),
        (f"t={NOW},v1=xyz", "not hex"),
        ("garbage", "malformed"),
    ],
)
def test_stripe_refuses_malformed_headers(value: str, reason: str) -> None:
    refused(
        lambda: verify_stripe({"Stripe-Signature": value}, BODY, [b"whsec_test123"], NOW), reason
    )


def test_stripe_refuses_a_missing_header() -> None:
    refused(lambda: verify_stripe({}, BODY, [b"whsec_test123"], NOW), "missing Stripe-Signature")


# --- Typeform --------------------------------------------------------------


def test_typeform_accepts_the_vendor_signature() -> None:
    headers = {"Typeform-Signature": f"sha256={TYPEFORM_VECTOR}"}
    verify_typeform(headers, BODY, [b"tf-secret"])
    assert sign_typeform(BODY, b"tf-secret") == headers


def test_typeform_refuses_tampering_and_a_wrong_secret_but_takes_a_rotated_one() -> None:
    headers = {"Typeform-Signature": f"sha256={TYPEFORM_VECTOR}"}
    refused(lambda: verify_typeform(headers, TAMPERED, [b"tf-secret"]), "does not match")
    refused(lambda: verify_typeform(headers, BODY, [b"other"]), "does not match")
    verify_typeform(headers, BODY, [b"other", b"tf-secret"])


@pytest.mark.parametrize("value", [TYPEFORM_VECTOR, f"sha1={TYPEFORM_VECTOR}", "sha256=***", ""])
def test_typeform_refuses_malformed_headers(value: str) -> None:
    refused(
        lambda: verify_typeform({"Typeform-Signature": value}, BODY, [b"tf-secret"]),
        "malformed|missing",
    )


def test_no_refusal_reveals_the_secret_or_the_expected_signature() -> None:
    with pytest.raises(Unauthorized) as caught:
        verify_typeform({"Typeform-Signature": "sha256=AAAA"}, BODY, [b"tf-secret"])
    assert "tf-secret" not in str(caught.value)
    assert TYPEFORM_VECTOR not in str(caught.value)
