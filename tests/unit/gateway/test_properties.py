"""Properties of every mapping: what comes out validates as its topic's event, and the
same payload always gives the same event ids (so vendor retries are deduplicated)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.source import Mapped, Unmappable
from models.events import TOPIC_EVENTS, RenewalEvent
from tests.unit.gateway.support import RECEIVED, source

SEGMENT = source("segment")
STRIPE = source("stripe")
ZENDESK = source("zendesk")

ids = st.one_of(st.text(min_size=0, max_size=300), st.integers(), st.none())
times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.isoformat())


def check(mapped: Mapped) -> None:
    for out in mapped.events:
        cls = TOPIC_EVENTS[out.topic]
        assert type(out.event) is cls
        again = cls.model_validate_json(out.event.model_dump_json())
        assert again == out.event
        assert 1 <= len(out.event.event_id) <= 128


def map_twice(source: Any, document: object) -> tuple[Mapped, Mapped] | None:
    try:
        first = source.map(document, RECEIVED)
    except Unmappable as exc:
        assert str(exc)  # a refusal always says why
        return None
    return first, source.map(document, RECEIVED)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["track", "page", "group", "identify", "screen"]),
    message_id=ids,
    user=ids,
    group=ids,
    name=st.one_of(st.text(max_size=300), st.none()),
    timestamp=st.one_of(times, st.text(max_size=30)),
    traits=st.dictionaries(
        st.sampled_from(["name", "arr", "segment", "renewal_date", "lifecycle_stage"]),
        st.one_of(st.text(max_size=80), st.floats(), st.integers()),
    ),
    arr=st.one_of(
        st.floats(), st.integers(), st.from_regex(r"-?[0-9,]{1,6}(\.[0-9]+)?(e[0-9]{1,3})?")
    ),
)
def test_segment_calls_map_to_valid_events_with_stable_ids(
    kind: str,
    message_id: object,
    user: object,
    group: object,
    name: str | None,
    timestamp: str,
    traits: dict[str, object],
    arr: object,
) -> None:
    traits = {**traits, "arr": arr}
    call = {
        "type": kind,
        "messageId": message_id,
        "userId": user,
        "groupId": group,
        "event": name,
        "name": name,
        "traits": traits,
        "context": {"groupId": group},
        "timestamp": timestamp,
    }
    result = map_twice(SEGMENT, {"batch": [call, call]})
    if result is None:
        return
    first, second = result
    check(first)
    assert [o.event for o in first.events] == [o.event for o in second.events]
    assert len(first.events) + first.ignored == 2


@settings(max_examples=300, deadline=None)
@given(
    items=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10**9),
            st.integers(min_value=0, max_value=10**5),
            st.sampled_from(["day", "week", "month", "year"]),
            st.integers(min_value=1, max_value=36),
        ),
        min_size=1,
        max_size=5,
    ),
    currency=st.sampled_from(["usd", "eur", "jpy", "kwd"]),
    evt=st.text(min_size=1, max_size=200).filter(str.strip),
)
def test_stripe_arr_is_never_negative_and_follows_the_prices(
    items: list[tuple[int, int, str, int]], currency: str, evt: str
) -> None:
    event = {
        "id": evt,
        "created": 1772409600,
        "type": "customer.subscription.deleted",
        "data": {
            "object": {
                "id": "sub_1",
                "customer": "cus_1",
                "currency": currency,
                "current_period_end": 1803945600,
                "items": {
                    "data": [
                        {
                            "price": {
                                "unit_amount": amount,
                                "recurring": {"interval": interval, "interval_count": count},
                            },
                            "quantity": quantity,
                        }
                        for amount, quantity, interval, count in items
                    ]
                },
            }
        },
    }
    result = map_twice(STRIPE, event)
    assert result is not None
    first, second = result
    check(first)
    [out] = first.events
    assert isinstance(out.event, RenewalEvent)
    per_year = {"day": 365, "week": 52, "month": 12, "year": 1}
    minor = {"usd": 100, "eur": 100, "jpy": 1, "kwd": 1000}[currency]
    expected = sum(a * q * per_year[i] / c for a, q, i, c in items) / minor
    assert out.event.arr == pytest.approx(
        expected, rel=1e-12, abs=0.006
    )  # ARR is rounded to 2 decimals
    assert out.event.event_id == second.events[0].event.event_id


@settings(max_examples=200, deadline=None)
@given(
    status=st.sampled_from(["opened", "solved", "first_response", "reopened", "new", "x"]),
    ticket=ids,
    org=ids,
    priority=st.one_of(st.sampled_from(["low", "Normal", "HIGH", "urgent", ""]), st.text()),
    when=st.integers(min_value=0, max_value=4_000_000_000),
    rating=st.one_of(st.sampled_from(["good", "bad", "offered", "3"]), st.text(max_size=10)),
)
def test_zendesk_trigger_bodies_map_to_valid_events_with_stable_ids(
    status: str, ticket: object, org: object, priority: str, when: int, rating: str
) -> None:
    body = {
        "ticket_id": ticket,
        "status": status,
        "organization_id": org,
        "priority": priority,
        "occurred_at": (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=when)).isoformat(),
        "satisfaction": rating,
    }
    result = map_twice(ZENDESK, body)
    if result is None:
        return
    first, second = result
    check(first)
    assert first.events == second.events
