"""Own events over HTTP are checked exactly as a worker checks them; one bad event refuses all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.own_events import _any_events, _one_event, deliver_own_events
from gateway.rejections import InvalidEvents
from tests.support.gateway import MAX_AGE, own_login

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
AGO = NOW - timedelta(hours=1)


def deliver(topic: str, document: object, strict_fields: bool = False) -> Any:
    return deliver_own_events(topic, document, NOW, MAX_AGE, strict_fields)


def test_one_event_becomes_a_batch_of_one_keyed_by_its_account() -> None:
    delivery = deliver("logins", own_login("e1", "a1", AGO))
    [message] = delivery.messages
    assert (message.topic, message.key) == ("logins", b"a1")
    assert orjson.loads(message.value) == [own_login("e1", "a1", AGO)]
    assert delivery.accepted == 1


def test_a_batch_of_several_accounts_is_one_envelope_per_account_in_order() -> None:
    batch = [own_login(f"e{n}", f"a{n % 3}", AGO) for n in range(9)]
    delivery = deliver("logins", batch)
    assert sorted(m.key for m in delivery.messages) == [b"a0", b"a1", b"a2"]
    for message in delivery.messages:
        carried = orjson.loads(message.value)
        assert {e["account_id"].encode() for e in carried} == {message.key}
        assert [e["event_id"] for e in carried] == sorted(
            (e["event_id"] for e in carried), key=lambda i: int(i[1:])
        )
    assert delivery.events == {"logins": 9}


def test_unknown_fields_are_kept_for_the_worker_to_count_unless_strict() -> None:
    event = own_login("e1", "a1", AGO, browser="firefox")
    [message] = deliver("logins", event).messages
    assert orjson.loads(message.value)[0]["browser"] == "firefox"
    with pytest.raises(InvalidEvents, match="schema_violation: browser"):
        deliver("logins", event, strict_fields=True)


def test_one_bad_event_refuses_the_request_naming_each_bad_one() -> None:
    batch = [
        own_login("e0", "a1", AGO),
        own_login("e1", "a1", AGO, user_id=12),
        own_login("e2", "a2", AGO),
        own_login("e3", "a2", NOW + timedelta(days=2)),
        own_login("e4", "a3", NOW - timedelta(days=401)),
        42,
        {"event_id": "e6", "account_id": 7},
    ]
    with pytest.raises(InvalidEvents) as refused:
        deliver("logins", batch)
    text = str(refused.value)
    assert text.startswith("5 events are invalid, nothing was accepted: ")
    assert "event 0" not in text and "event 2" not in text
    assert "event 1: schema_violation: user_id: Input should be a valid string" in text
    assert "event 3: future_timestamp" in text
    assert "event 4: too_old" in text
    assert "event 5: schema_violation: expected a JSON object, got int" in text
    assert "event 6: schema_violation: account_id: Input should be a valid string" in text
    assert text.index("event 1") < text.index("event 3") < text.index("event 6")


def test_a_single_bad_event_is_described_without_a_position() -> None:
    with pytest.raises(InvalidEvents, match=r"^1 event is invalid, .*: schema_violation: score"):
        deliver("nps", {**own_login("e1", "a1", AGO), "respondent_id": "r1", "score": 11})


def test_old_account_profiles_are_taken_as_workers_take_them() -> None:
    profile = {"event_id": "p1", "account_id": "a1", "occurred_at": "2020-01-01T00:00:00Z",
               "name": "Acme"}  # fmt: skip
    assert deliver("accounts", profile).accepted == 1
    with pytest.raises(InvalidEvents, match="too_old"):
        deliver("logins", own_login("e1", "a1", datetime(2020, 1, 1, tzinfo=UTC)))


def test_empty_and_oversized_batches_are_refused() -> None:
    with pytest.raises(InvalidEvents, match="empty array"):
        deliver("logins", [])
    with pytest.raises(InvalidEvents, match="10,001 events in one request"):
        deliver("logins", [own_login(f"e{n}", "a1", AGO) for n in range(10_001)])


def test_many_bad_events_are_summed_up_after_the_first_twenty() -> None:
    with pytest.raises(InvalidEvents, match=r"^100 events .*event 19: .*; and 80 more$"):
        deliver("logins", [{"nothing": n} for n in range(100)])


def test_a_bad_event_deep_in_an_account_batch_split_in_several_messages_is_found() -> None:
    # ~1.1 KB events: 10,000 of one account exceed the 8 MiB message limit.
    comment = "c" * 1000
    batch = [
        {**own_login(f"e{n}", "a1", AGO), "respondent_id": "r", "score": 9, "comment": comment}
        for n in range(10_000)
    ]
    delivery = deliver("nps", batch)
    assert len(delivery.messages) == 2 and delivery.accepted == 10_000
    batch[9_000]["score"] = "ten"
    with pytest.raises(InvalidEvents, match=r"^1 event is invalid, .*: event 9000: schema_vio"):
        deliver("nps", batch)


def outcome(topic: str, document: object, strict: bool, general: bool) -> tuple[object, ...]:
    deliver_any = _any_events if general else deliver_own_events
    try:
        delivery = deliver_any(topic, document, NOW, MAX_AGE, strict)
    except InvalidEvents as exc:
        return ("refused", str(exc))
    messages = [(m.topic, m.key, m.value) for m in delivery.messages]
    return ("accepted", messages, dict(delivery.events), delivery.ignored)


fields = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=140),
    st.sampled_from(["e1", "a1", "u1", "end_user", "ceo", "", " "]),
    st.integers(-5, 12),
    st.none(),
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.isoformat())


@settings(max_examples=500, deadline=None)
@given(
    topic=st.sampled_from(["logins", "nps", "tickets"]),
    event=st.fixed_dictionaries(
        {"event_id": fields, "account_id": fields, "occurred_at": st.one_of(moments, fields)},
        optional={
            "user_id": fields,
            "role": fields,
            "feature": fields,
            "respondent_id": fields,
            "score": fields,
            "ticket_id": fields,
            "status": st.sampled_from(["opened", "resolved", "x"]),
            "priority": st.sampled_from(["low", "urgent", "y"]),
            "extra": fields,
        },
    ),
    strict=st.booleans(),
)
def test_one_event_takes_the_short_way_to_the_same_answer(
    topic: str, event: dict[str, object], strict: bool
) -> None:
    """deliver_own_events' way for one event object gives what the general way gives."""
    assert outcome(topic, event, strict, False) == outcome(topic, event, strict, True)


def test_a_usual_event_takes_the_short_way() -> None:
    event = own_login("e1", "a1", AGO)
    assert _one_event("logins", event, NOW, MAX_AGE, False) is not None
    assert outcome("logins", event, False, False) == outcome("logins", event, False, True)
