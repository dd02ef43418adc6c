"""Folding events into per-account state: dedupe, event time, pruning, bounds, JSON."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from models.events import Event, LoginEvent
from models.model_config import load_model
from models.state import (
    AccountState,
    _epoch_seconds,
    _short_hash,
    apply_event,
    new_state,
    utc_day,
)
from tests.unit.models.test_model_factories import (
    MODEL,
    T0,
    ago,
    build,
    login,
    nps,
    profile,
    renewal,
    ticket,
)


def mixed_events() -> list[Event]:
    return [
        profile(champion_user_id="u1"),
        login("u1", ago(0, 2), feature="reports"),
        login("u2", ago(3)),
        login("u1", ago(12), feature="export"),
        ticket("t1", "opened", ago(5), "urgent"),
        ticket("t1", "first_response", ago(5, -3), "urgent"),
        ticket("t1", "resolved", ago(4), "urgent", csat=5, effort=6),
        nps("r1", 3, ago(20), "it_leader"),
        renewal("c1", "upcoming", ago(30), date(2025, 5, 1), 50_000),
    ]


def test_duplicate_event_changes_nothing() -> None:
    events = mixed_events()
    state = build(events)
    before = state.model_dump()
    for event in events:
        assert apply_event(state, event, MODEL, T0) is False
    assert state.model_dump() == before


def test_out_of_order_events_give_the_same_state() -> None:
    events = mixed_events()
    assert build(events).model_dump() == build(reversed(events)).model_dump()


def test_login_days_are_kept_as_a_mask_by_event_time() -> None:
    state = build([login("u1", ago(2)), login("u1", ago(0)), login("u1", ago(5))])
    last_day, mask = state.users["u1"]
    assert last_day == utc_day(T0)
    assert mask == 0b100101  # today, 2 and 5 days ago
    assert state.last_login == int(ago(0).timestamp())


def test_ticket_lifecycle_converges_in_any_order() -> None:
    events = [
        ticket("t1", "opened", ago(10), "low"),
        ticket("t1", "first_response", ago(9), "low"),
        ticket("t1", "resolved", ago(8), "high", csat=2),
        ticket("t1", "reopened", ago(7), "high"),
    ]
    record = build(events).tickets["t1"]
    assert build(reversed(events)).tickets["t1"] == record
    assert build([events[3], events[0], events[2], events[1]]).tickets["t1"] == record


def test_events_older_than_the_longest_window_are_ignored() -> None:
    state = new_state("acme")
    old = login("u1", ago(MODEL.longest_window_days + 1))
    assert apply_event(state, old, MODEL, T0) is False
    assert state.users == {}
    # Anything younger than the longest window (what upstream validation accepts) is kept.
    boundary = login("u2", T0 - timedelta(days=MODEL.longest_window_days, minutes=-1))
    assert apply_event(state, boundary, MODEL, T0) is True
    assert "u2" in state.users
    # Profiles never expire.
    assert apply_event(state, profile(ago(1000)), MODEL, T0) is True


def test_latest_profile_wins_whatever_the_order() -> None:
    older, newer = profile(ago(10), name="Old name"), profile(ago(1), name="New name")
    state = build([newer])
    assert apply_event(state, older, MODEL, T0) is False
    assert state.profile is not None and state.profile.name == "New name"
    assert build([older, newer]).profile == state.profile


def test_pruning_forgets_what_left_the_longest_window() -> None:
    state = build(mixed_events())
    later = T0 + timedelta(days=MODEL.longest_window_days + 10)
    apply_event(state, login("u9", later), MODEL, later)
    assert set(state.users) == {"u9"}
    assert state.tickets == {} and state.respondents == {} and state.features == {}
    assert all(day >= utc_day(later) - MODEL.longest_window_days for day in state.seen)
    assert state.contracts == {}
    assert state.profile is not None  # profiles never expire


def test_user_count_is_bounded_and_key_people_are_kept() -> None:
    model = load_model()
    cap = model.limits.max_users
    events = [profile(champion_user_id="champ"), login("champ", ago(100))]
    events += [login(f"user-{i}", ago(i % 90)) for i in range(cap * 2)]
    state = build(events, model=model)
    assert len(state.users) <= cap
    assert "champ" in state.users


def test_remembered_ids_per_day_are_capped() -> None:
    cap = MODEL.limits.event_ids_per_day
    events = [login("u1", ago(0, hours=i / 100)) for i in range(cap + 50)]
    state = build(events)
    assert len(state.seen[utc_day(T0)]) == cap
    # Past the cap a replayed event is still recognised: applying it changes nothing.
    assert apply_event(state, events[-1], MODEL, T0) is False


def test_nps_keeps_the_latest_answer_per_respondent() -> None:
    state = build([nps("r1", 10, ago(1)), nps("r1", 2, ago(5), "end_user")])
    assert state.respondents["r1"][1] == 10


def test_state_round_trips_through_json() -> None:
    state = build(mixed_events())
    document = json.loads(json.dumps(state.model_dump(mode="json")))
    restored = AccountState.model_validate(document)
    assert restored == state
    assert len(json.dumps(document)) < 3000


def test_last_event_at_is_the_latest_event_time_in_utc_whatever_its_zone() -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    events = [
        login("u1", ago(2)),
        login("u2", ago(1).astimezone(india)),
        login("u3", ago(3).astimezone(ZoneInfo("America/New_York"))),
    ]
    for order in (events, events[::-1]):
        state = build(order)
        assert state.last_event_at == ago(1)
        assert state.last_event_at.utcoffset() == timedelta(0)
        row = state.model_dump(mode="json")
        assert row["last_event_at"] == ago(1).isoformat().replace("+00:00", "Z")


def test_short_hashes_keep_their_stored_form() -> None:
    # Rows in changelogs and RocksDB hold these: the form must never change.
    assert [_short_hash(i) for i in ("ev-1", "e11-12345", "", "é✓😀")] == [
        "397pYIdN",
        "zccsOVaS",
        "3dnEB2f5",
        "EN1xLqiy",
    ]


def test_each_new_now_is_a_new_day_to_prune_for() -> None:
    state = build([login("u1", ago(0))])
    assert state.pruned_day == utc_day(T0)
    later = T0 + timedelta(days=MODEL.longest_window_days + 1)
    for now in (later, later.astimezone(timezone(timedelta(hours=-5)))):
        apply_event(state, login("u2", later), MODEL, now)
        assert state.pruned_day == utc_day(later)
        assert set(state.users) == {"u2"}


def test_a_derived_event_type_folds_like_its_base() -> None:
    class TaggedLogin(LoginEvent):
        pass

    event = TaggedLogin(event_id="e1", account_id="acme", occurred_at=ago(1), user_id="u1")
    state = new_state("acme")
    assert apply_event(state, event, MODEL, T0) is True
    assert "u1" in state.users


def test_an_event_of_no_input_type_is_an_error() -> None:
    event = Event(event_id="e1", account_id="acme", occurred_at=ago(1))
    with pytest.raises(TypeError, match="not an input event: Event"):
        apply_event(new_state("acme"), event, MODEL, T0)


def test_epoch_seconds_are_exactly_the_timestamps_whatever_the_zone() -> None:
    parsed = LoginEvent.model_validate_json(
        b'{"event_id":"e","account_id":"a","occurred_at":"2026-03-29T01:30:00-09:30","user_id":"u"}'
    ).occurred_at.tzinfo
    zones: list[tzinfo | None] = [
        UTC,
        parsed,
        timezone(timedelta(hours=5, minutes=30)),
        timezone(-timedelta(hours=7, seconds=13, microseconds=5)),
        ZoneInfo("Europe/Paris"),
        None,
    ]
    rng = random.Random(7)
    for _ in range(3000):
        base = datetime(1, 1, 2) + timedelta(microseconds=rng.randrange(315_500_000_000_000_000))
        if rng.random() < 0.5:  # around now and a DST change, where it matters most
            base = datetime(2026, 3, 29) + timedelta(microseconds=rng.randrange(-(10**11), 10**11))
        moment = base.replace(tzinfo=rng.choice(zones), fold=rng.randrange(2))
        assert _epoch_seconds(moment) == int(moment.timestamp()), moment
