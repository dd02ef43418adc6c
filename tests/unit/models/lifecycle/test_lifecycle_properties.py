"""Properties of the lifecycle: order independence, consistent episodes, facts that outlive
the windows, and what one more outcome does."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from models.events import Event
from models.lifecycle.derive import account_lifecycle
from models.lifecycle.status import Lifecycle, LifecycleStatus
from models.state import apply_event, prune, utc_day
from tests.unit.models.test_model_factories import MODEL, T0, build, login, renewal

RULES = MODEL.lifecycle
FAST = settings(max_examples=150, deadline=None)
DAYS = MODEL.longest_window_days - 2


def moment(days_before_t0: int, hour: int) -> datetime:
    return T0 - timedelta(days=days_before_t0, hours=hour)


outcomes = st.builds(
    lambda contract, status, day, hour, arr, new_arr: renewal(
        contract, status, moment(day, hour), moment(day, hour).date(), arr, new_arr
    ),
    st.sampled_from(["c0", "c1", "c2", "c3"]),
    st.sampled_from(["upcoming", "renewed", "churned", "expanded", "contracted"]),
    st.integers(1, DAYS),
    st.integers(0, 3),
    st.integers(0, 100).map(lambda k: k * 1_000),
    st.none() | st.integers(0, 100).map(lambda k: k * 1_000),
)
# Runs of daily logins, so that activity can bring an account back.
login_runs = st.builds(
    lambda start, length, user: [
        login(user, moment(day, 0)) for day in range(start, min(start + length, DAYS + 1))
    ],
    st.integers(1, DAYS),
    st.integers(1, 14),
    st.sampled_from(["u1", "u2"]),
)
histories = st.tuples(st.lists(outcomes, max_size=14), st.lists(login_runs, max_size=4)).map(
    lambda parts: parts[0] + [e for run in parts[1] for e in run]
)


def lifecycle(events: list[Event]) -> Lifecycle:
    return account_lifecycle(build(events), RULES)


@FAST
@given(histories, st.randoms(use_true_random=False))
def test_any_order_gives_the_same_lifecycle_and_ledger(
    events: list[Event], rnd: random.Random
) -> None:
    shuffled = list(events)
    rnd.shuffle(shuffled)
    one, other = build(events), build(shuffled)
    assert (one.outcomes, one.login_days) == (other.outcomes, other.login_days)
    assert account_lifecycle(one, RULES) == account_lifecycle(other, RULES)


@FAST
@given(histories)
def test_episodes_follow_each_other_and_the_status_is_the_last_ones(events: list[Event]) -> None:
    found = lifecycle(events)
    assert found.churns == len(found.episodes)
    previous_end = None
    for episode in found.episodes:
        if previous_end is not None:
            assert episode.churned_on >= previous_end
        assert (episode.resurrected_on is None) == (episode.resurrected_by is None)
        if episode.resurrected_on is not None:
            assert episode.resurrected_on > episode.churned_on
        previous_end = episode.resurrected_on
    if not found.episodes:
        assert found == Lifecycle()
        return
    last = found.episodes[-1]
    assert (found.churned_on, found.arr_lost) == (last.churned_on, last.arr_lost)
    assert found.resurrected_on == last.resurrected_on
    expected = (
        LifecycleStatus.CHURNED if last.resurrected_on is None else LifecycleStatus.RESURRECTED
    )
    assert found.status is expected
    for episode, following in zip(found.episodes, found.episodes[1:], strict=False):
        gap = (
            None
            if episode.resurrected_on is None
            else following.churned_on - episode.resurrected_on
        )
        assert episode.rechurned == (gap is not None and gap.days <= RULES.rechurn_within_days)


@FAST
@given(histories, st.integers(1, 800))
def test_the_lifecycle_outlives_the_windows(events: list[Event], days_later: int) -> None:
    state = build(events)
    before = account_lifecycle(state, RULES)
    prune(state, MODEL, utc_day(T0) + days_later)
    assert account_lifecycle(state, RULES) == before


@FAST
@given(histories)
def test_a_churn_on_a_later_day_churns_and_a_renewal_after_it_brings_back(
    events: list[Event],
) -> None:
    state = build(events)
    before = account_lifecycle(state, RULES)
    churn_at, back_at = T0 + timedelta(days=1), T0 + timedelta(days=2, hours=1)
    apply_event(state, renewal("new", "churned", churn_at, churn_at.date(), 1), MODEL, back_at)
    churned = account_lifecycle(state, RULES)
    assert churned.status is LifecycleStatus.CHURNED
    if before.churned:  # the same churn, one more contract lost
        assert (churned.churns, churned.churned_on) == (before.churns, before.churned_on)
        assert churned.arr_lost == (before.arr_lost or 0) + 1
    else:
        assert (churned.churns, churned.churned_on) == (before.churns + 1, churn_at.date())
    apply_event(state, renewal("back", "renewed", back_at, back_at.date(), 1), MODEL, back_at)
    back = account_lifecycle(state, RULES)
    assert back.status is LifecycleStatus.RESURRECTED
    assert back.resurrected_on == back_at.date()
    assert back.churns == churned.churns
