"""Webhook requests as Segment, Zendesk, Stripe and Typeform send them, for the gateway's
integration tests: built from the documented payloads in tests/fixtures/gateway, with
their ids and times moved to now, and signed the way each vendor signs.

A `Delivery` is one HTTP request a vendor makes: its path, raw body and headers.
Re-sending `delivery` is the vendor retrying the same delivery; `resigned(...)`
is the retry as Zendesk and Stripe make it (the same body under a fresh
signature timestamp).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.signatures import sign_segment, sign_stripe, sign_typeform, sign_zendesk
from tests.support.servers import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "gateway"

SECRETS = {
    "segment": b"segment-shared-secret",
    "zendesk": b"dGhlLXplbmRlc2std2ViaG9vay1zZWNyZXQ=",
    "stripe": b"whsec_integration0test0secret",
    "typeform": b"typeform-form-secret",
}


def fixture(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return document


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, as the vendors write their times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass(frozen=True)
class Delivery:
    source: str
    body: bytes
    headers: dict[str, str]
    signed_at: datetime | None = None

    @property
    def path(self) -> str:
        return f"/v1/sources/{self.source}"

    def tampered(self, old: bytes, new: bytes) -> Delivery:
        """The same headers over a body changed on the way (`old` replaced by `new`)."""
        assert old in self.body, old
        return replace(self, body=self.body.replace(old, new, 1))

    def resigned(self, at: datetime) -> Delivery:
        """The same body, signed again at `at` (a timestamped vendor's retry, or a replay)."""
        return sign(self.source, self.body, at)


def sign(source: str, body: bytes, at: datetime | None = None) -> Delivery:
    """`body` signed as `source` signs it; `at` is the signature's time (now by default)."""
    at = at or datetime.now(UTC)
    secret = SECRETS[source]
    if source == "segment":
        headers = sign_segment(body, secret)
    elif source == "zendesk":
        headers = sign_zendesk(body, secret, iso(at))
    elif source == "stripe":
        headers = sign_stripe(body, [secret], unix(at))
    else:
        headers = sign_typeform(body, secret)
    content_type = {"segment": "application/json", "typeform": "application/json"}
    headers["Content-Type"] = content_type.get(source, "application/json; charset=utf-8")
    return Delivery(source, body, headers, at)


def compact(document: object) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


# -- Segment ---------------------------------------------------------------------------


def segment_batch(group_id: str, now: datetime, renewal_on: str) -> dict[str, Any]:
    """A batch of a track and a page call of one user and the group call of their account."""
    track, page, group = fixture("segment_track"), fixture("segment_page"), fixture("segment_group")
    for call, ago in ((group, 30), (track, 20), (page, 10)):
        call["timestamp"] = iso(now - timedelta(minutes=ago))
    track["context"]["groupId"] = page["context"]["groupId"] = group["groupId"] = group_id
    group["traits"]["renewal_date"] = renewal_on
    return {"batch": [track, page, group], "sentAt": iso(now)}


def segment_track(group_id: str, user_id: str, message_id: str, at: datetime) -> dict[str, Any]:
    track = fixture("segment_track")
    track.update(userId=user_id, messageId=message_id, timestamp=iso(at))
    track["context"]["groupId"] = group_id
    del track["context"]["traits"]
    return track


# -- Zendesk ---------------------------------------------------------------------------


def zendesk_event(name: str, organization_id: str, at: datetime) -> dict[str, Any]:
    """An event-subscription payload (`zendesk_ticket_created`, ...) of the organization
    at `at`."""
    document = fixture(name)
    document["time"] = iso(at)
    document["detail"]["organization_id"] = organization_id
    document["detail"]["updated_at"] = iso(at)
    return document


def zendesk_ticket(organization_id: str, opened: datetime) -> list[dict[str, Any]]:
    """Ticket 5521's life: created, a public agent reply an hour later, solved, and the
    requester's satisfaction rating sent by a trigger on "satisfaction changed"."""
    created = zendesk_event("zendesk_ticket_created", organization_id, opened)
    created["detail"]["created_at"] = iso(opened)
    replied = zendesk_event("zendesk_comment_added", organization_id, opened + timedelta(hours=1))
    solved_at = opened + timedelta(hours=1, minutes=30)
    solved = zendesk_event("zendesk_status_solved", organization_id, solved_at)
    for event in (replied, solved):
        event["detail"]["created_at"] = iso(opened)
    rated = fixture("zendesk_trigger_solved")
    rated.update(organization_id=organization_id, occurred_at=iso(solved_at + timedelta(minutes=5)))
    return [created, replied, solved, rated]


# -- Stripe ----------------------------------------------------------------------------


def _periods(items: list[dict[str, Any]], starts: datetime, ends: datetime) -> None:
    for item in items:
        item.update(current_period_start=unix(starts), current_period_end=unix(ends))


def stripe_expanded(customer: str, renewed: datetime) -> dict[str, Any]:
    """The subscription renewing at `renewed` with 30 seats where it had 20 (EUR 50 a
    seat a month: ARR 12,000 -> 18,000), as `customer.subscription.updated`."""
    event = fixture("stripe_subscription_expanded")
    event["created"] = unix(renewed) + 2
    subscription = event["data"]["object"]
    subscription["customer"]["id"] = customer
    _periods(subscription["items"]["data"], renewed, renewed + timedelta(days=30))
    _periods(
        event["data"]["previous_attributes"]["items"]["data"],
        renewed - timedelta(days=31),
        renewed,
    )
    return event


def stripe_deleted(customer: str, renewed: datetime, cancelled: datetime) -> dict[str, Any]:
    """The same subscription cancelled at `cancelled`, mid-period, as
    `customer.subscription.deleted` (its envelope from the deleted fixture, the
    subscription as the expanded fixture left it)."""
    event = fixture("stripe_subscription_deleted")
    expanded = stripe_expanded(customer, renewed)
    subscription = copy.deepcopy(expanded["data"]["object"])
    subscription.update(status="canceled", canceled_at=unix(cancelled), ended_at=unix(cancelled))
    event.update(api_version=expanded["api_version"], created=unix(cancelled))
    event["data"]["object"] = subscription
    return event


def stripe_body(event: dict[str, Any]) -> bytes:
    """Stripe sends its events pretty-printed, two spaces deep."""
    return json.dumps(event, indent=2).encode()


# -- Typeform --------------------------------------------------------------------------


def typeform_response(
    account_id: str, user_id: str, token: str, score: int, at: datetime
) -> dict[str, Any]:
    """A `form_response` of the NPS form: `score` for the NPS question, submitted at `at`."""
    document = fixture("typeform_form_response")
    document["event_id"] = f"01EVT{token}"
    response = document["form_response"]
    response.update(token=token, landed_at=iso(at - timedelta(minutes=2)), submitted_at=iso(at))
    response["hidden"].update(account_id=account_id, user_id=user_id)
    response["answers"][0]["number"] = score
    return document
