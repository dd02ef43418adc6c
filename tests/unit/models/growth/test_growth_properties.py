"""Properties of the expansion signal over random accounts."""

from __future__ import annotations

import random
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from models.events import Event, Role
from models.growth.signals import active_users
from models.health import Band
from models.scoring import score
from models.state import DAY_SECONDS
from models.state_records import add_login
from tests.unit.models.test_model_factories import MODEL, T0, ago, build, login, nps, profile

TODAY = int(T0.timestamp()) // DAY_SECONDS

# user -> the days ago it was active (today is 0); up to 70 days back.
activity = st.dictionaries(
    st.sampled_from([f"u{i}" for i in range(8)]),
    st.sets(st.integers(0, 70), min_size=1, max_size=12),
    max_size=8,
)


@given(activity, st.integers(1, 31), st.randoms(use_true_random=False))
def test_active_users_are_counted_as_sets_of_days_would(
    days_ago: dict[str, set[int]], window: int, rng: random.Random
) -> None:
    logins = [(user, TODAY - ago_) for user, days in days_ago.items() for ago_ in days]
    rng.shuffle(logins)
    users: dict[str, list[int]] = {}
    for user, day in logins:
        add_login(users, user, day)
    recent = sum(1 for days in days_ago.values() if any(d < window for d in days))
    earlier = sum(1 for days in days_ago.values() if any(window <= d < 2 * window for d in days))
    assert active_users(users, TODAY, window) == (recent, earlier)


feature_uses = st.lists(
    st.tuples(st.sampled_from(["reports", "api", "sso", "export"]), st.integers(0, 60)),
    min_size=1,
    max_size=20,
)


@given(feature_uses, st.randoms(use_true_random=False))
def test_first_days_of_features_do_not_depend_on_the_order_of_events(
    uses: list[tuple[str, int]], rng: random.Random
) -> None:
    events = [login(f"u{i}", ago(days), feature) for i, (feature, days) in enumerate(uses)]
    shuffled = list(events)
    rng.shuffle(shuffled)
    one, other = build(events), build(shuffled)
    assert one.features_since == other.features_since
    assert one.features == other.features
    for feature, first in one.features_since.items():
        assert first == TODAY - max(days for f, days in uses if f == feature)


def _account(draw: st.DrawFn) -> list[Event]:
    users_before = draw(st.integers(0, 8))
    users_now = draw(st.integers(0, 12))
    events: list[Event] = [
        login(f"u{i}", ago(draw(st.integers(14, 27)))) for i in range(users_before)
    ]
    events += [
        login(f"u{i}", ago(draw(st.integers(0, 13))), draw(st.sampled_from([None, "a", "b", "c"])))
        for i in range(users_now)
    ]
    for i in range(draw(st.integers(0, 4))):
        role = draw(st.sampled_from([None, *Role]))
        events.append(nps(f"r{i}", draw(st.integers(0, 10)), ago(draw(st.integers(0, 200))), role))
    renewal_in = draw(st.one_of(st.none(), st.integers(-30, 400)))
    if renewal_in is not None:
        events.append(profile(renewal_date=T0.date() + timedelta(days=renewal_in)))
    return events


accounts = st.composite(_account)()


@settings(max_examples=150, deadline=None)
@given(accounts)
def test_the_strength_is_what_its_drivers_add_up_to_and_a_candidate_is_healthy(
    events: list[Event],
) -> None:
    health = score(build(events), T0, MODEL)
    growth = health.growth
    assert growth is not None
    assert 0 <= growth.strength <= 100
    assert abs(sum(d.impact for d in growth.drivers) - growth.strength) < 0.2
    assert [d.impact for d in growth.drivers] == sorted(
        (d.impact for d in growth.drivers), reverse=True
    )
    assert len({d.code for d in growth.drivers}) == len(growth.drivers)
    if growth.candidate:
        assert health.band is Band.HEALTHY
        assert not health.current_lifecycle.churned
        assert growth.strength >= MODEL.growth.min_strength
    elif health.band is Band.HEALTHY and not health.current_lifecycle.churned:
        assert growth.strength < MODEL.growth.min_strength
