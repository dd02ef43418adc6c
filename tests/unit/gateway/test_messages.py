"""A request's events: one keyed batch envelope per (topic, account), split under the limit."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from gateway.messages import SourceBug, deliver_events
from gateway.source import Outgoing
from models.events import AccountProfile, LoginEvent

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def login(event_id: str, account: str) -> Outgoing:
    event = LoginEvent(event_id=event_id, account_id=account, occurred_at=AT, user_id="u1")
    return Outgoing("logins", event)


def test_events_are_grouped_per_topic_and_account_keyed_by_the_account_in_order() -> None:
    profile = AccountProfile(event_id="p1", account_id="Zürich", occurred_at=AT, name="Zürich AG")
    events = [
        login("e1", "a1"),
        login("e2", "Zürich"),
        Outgoing("accounts", profile),
        login("e3", "a1"),
    ]
    delivery = deliver_events(events, ignored=2)
    sent = {(m.topic, m.key): orjson.loads(m.value) for m in delivery.messages}
    assert len(delivery.messages) == 3
    assert [e["event_id"] for e in sent["logins", b"a1"]] == ["e1", "e3"]
    assert [e["event_id"] for e in sent["logins", "Zürich".encode()]] == ["e2"]
    assert sent["accounts", "Zürich".encode()] == [
        {"event_id": "p1", "account_id": "Zürich", "occurred_at": "2026-05-01T12:00:00Z",
         "name": "Zürich AG"}
    ]  # fmt: skip
    assert delivery.events == {"logins": 3, "accounts": 1}
    assert (delivery.accepted, delivery.ignored) == (4, 2)


def test_an_accounts_events_over_the_message_limit_are_split_in_order() -> None:
    events = [login(f"e{n}", "a1") for n in range(60)]
    delivery = deliver_events(events, limit=1000)
    assert len(delivery.messages) > 1
    assert all(len(m.value) <= 1000 and m.key == b"a1" for m in delivery.messages)
    carried = [e["event_id"] for m in delivery.messages for e in orjson.loads(m.value)]
    assert carried == [f"e{n}" for n in range(60)]


def test_nothing_mapped_is_no_message() -> None:
    delivery = deliver_events([], ignored=3)
    assert delivery.messages == [] and delivery.accepted == 0 and delivery.ignored == 3


def test_an_event_handed_over_for_another_topic_is_a_bug_not_a_message() -> None:
    event = LoginEvent(event_id="e1", account_id="a1", occurred_at=AT, user_id="u1")
    with pytest.raises(SourceBug, match="LoginEvent handed over for topic 'tickets'"):
        deliver_events([Outgoing("tickets", event)])
    with pytest.raises(SourceBug):
        deliver_events([Outgoing("clicks", event)])
