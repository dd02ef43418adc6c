"""Properties of the whole model: bounds, order independence, idempotence, monotonicity."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from models.events import Event, Role, TicketPriority, TicketStatus
from models.scoring import score
from models.state import apply_event, apply_events
from tests.unit.models.test_model_factories import (
    MODEL,
    T0,
    build,
    login,
    nps,
    profile,
    renewal,
    ticket,
)

USERS = [f"u{i}" for i in range(6)]
WINDOW_SECONDS = (MODEL.longest_window_days - 5) * 86_400
FAST = settings(max_examples=150, deadline=None)


def moment(seconds_before_t0: int) -> datetime:
    return T0 - timedelta(seconds=seconds_before_t0)


offsets = st.integers(min_value=0, max_value=WINDOW_SECONDS)
roles = st.none() | st.sampled_from(Role)

logins = st.builds(
    lambda user, when, feature, role: login(user, moment(when), feature, role),
    st.sampled_from(USERS),
    offsets,
    st.none() | st.sampled_from(["reports", "export", "admin", "api"]),
    roles,
)
tickets = st.builds(
    lambda tid, status, when, priority, csat, effort: ticket(
        tid, status, moment(when), priority, csat, effort
    ),
    st.sampled_from([f"t{i}" for i in range(5)]),
    st.sampled_from(TicketStatus),
    offsets,
    st.sampled_from(TicketPriority),
    st.none() | st.integers(1, 5),
    st.none() | st.integers(1, 7),
)
answers = st.builds(
    lambda rid, value, when, role: nps(rid, value, moment(when), role),
    st.sampled_from([f"r{i}" for i in range(5)]),
    st.integers(0, 10),
    offsets,
    roles,
)
contracts = st.builds(
    lambda cid, status, when, due, arr, new_arr: renewal(
        cid, status, moment(when), T0.date() + timedelta(days=due), arr, new_arr
    ),
    st.sampled_from(["c0", "c1", "c2"]),
    st.sampled_from(["upcoming", "renewed", "churned", "expanded", "contracted"]),
    offsets,
    st.integers(-90, 400),
    st.integers(0, 500_000),
    st.none() | st.integers(0, 600_000),
)
profiles = st.builds(
    lambda when, champion, sponsor, stage, due: profile(
        moment(when),
        champion_user_id=champion,
        sponsor_user_id=sponsor,
        lifecycle_stage=stage,
        renewal_date=None if due is None else date.fromordinal(T0.toordinal() + due),
    ),
    offsets,
    st.none() | st.sampled_from(USERS),
    st.none() | st.sampled_from(USERS),
    st.none() | st.sampled_from(["onboarding", "adoption", "escalation", "renewal"]),
    st.none() | st.integers(-30, 300),
)
event_lists = st.lists(
    st.one_of(logins, tickets, answers, contracts, profiles), min_size=0, max_size=40
)


@FAST
@given(event_lists, st.integers(0, 400))
def test_score_always_lies_between_0_and_100(events: list[Event], days_later: int) -> None:
    state = build(events)
    for now in (T0, T0 + timedelta(days=days_later)):
        health = score(state, now, MODEL)
        assert 0 <= health.score <= 100
        assert 0 <= health.confidence <= 1
        assert all(v is None or 0 <= v <= 100 for v in health.components.values())


@FAST
@given(event_lists, st.randoms(use_true_random=False))
def test_any_order_gives_the_same_state_and_score(events: list[Event], rnd: random.Random) -> None:
    shuffled = list(events)
    rnd.shuffle(shuffled)
    ordered, reordered = build(events), build(shuffled)
    assert ordered.model_dump() == reordered.model_dump()
    assert score(ordered, T0, MODEL) == score(reordered, T0, MODEL)


@FAST
@given(event_lists, st.data())
def test_duplicates_change_nothing(events: list[Event], data: st.DataObject) -> None:
    state = build(events)
    before = state.model_dump()
    repeats = data.draw(st.lists(st.sampled_from(events), max_size=20)) if events else []
    for event in repeats:
        assert apply_event(state, event, MODEL, T0) is False
    assert state.model_dump() == before


@FAST
@given(event_lists, st.integers(0, 80 * 86_400))
def test_an_urgent_open_ticket_never_raises_support(events: list[Event], opened: int) -> None:
    state = build(events)
    before = score(state, T0, MODEL).components["support"]
    apply_event(state, ticket("t-new", "opened", moment(opened), "urgent"), MODEL, T0)
    after = score(state, T0, MODEL).components["support"]
    assert after is not None
    if before is not None:
        assert after <= before


# A detractor answer from someone new (any role), or from an existing respondent
# without naming a role (their known role is kept). A respondent who changes role
# is re-weighted, which may move the NPS either way.
detractors = st.one_of(
    st.tuples(st.just("r-new"), st.integers(0, 6), offsets, roles),
    st.tuples(st.sampled_from([f"r{i}" for i in range(5)]), st.integers(0, 6), offsets, st.none()),
)


@FAST
@given(event_lists, detractors)
def test_a_detractor_never_raises_sentiment(
    events: list[Event], detractor: tuple[str, int, int, Role | None]
) -> None:
    respondent, value, when, role = detractor
    state = build(events)
    before = score(state, T0, MODEL).components["sentiment"]
    apply_event(state, nps(respondent, value, moment(when), role), MODEL, T0)
    after = score(state, T0, MODEL).components["sentiment"]
    assert after is not None
    if before is not None:
        assert after <= before


@FAST
@given(event_lists, st.data())
def test_a_message_folded_at_once_is_folded_as_event_by_event(
    events: list[Event], data: st.DataObject
) -> None:
    repeats = data.draw(st.lists(st.sampled_from(events), max_size=10)) if events else []
    message = events + repeats
    one_by_one, at_once = build([]), build([])
    accepted = [e for e in message if apply_event(one_by_one, e, MODEL, T0)]
    count, newest = apply_events(at_once, message, MODEL, T0)
    assert at_once.model_dump() == one_by_one.model_dump()
    assert count == len(accepted)
    assert newest == max((e.occurred_at for e in accepted), default=None)
