"""Each expansion signal at its edges, the strength they add up to, and who is a candidate."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from models.events import Event, Role
from models.growth.signals import active_users, assess_growth
from models.health import Band, Growth
from models.model_config import HealthModel
from models.scoring import score
from models.state import DAY_SECONDS, AccountState, apply_event
from tests.unit.models.test_model_factories import (
    MODEL,
    T0,
    ago,
    build,
    login,
    nps,
    profile,
    renewal,
)

NOW = int(T0.timestamp())
TODAY = NOW // DAY_SECONDS


def assess(
    state: AccountState,
    band: Band = Band.HEALTHY,
    churned: bool = False,
    model: HealthModel = MODEL,
) -> Growth:
    return Growth.model_validate(
        assess_growth(state, NOW, model.growth, model.windows.sentiment, band, churned)
    )


def codes(growth: Growth) -> list[str]:
    return [driver.code for driver in growth.drivers]


def users(before: int, now: int) -> list[Event]:
    """`before` users active 20 days ago, `now` users active 3 days ago."""
    return [login(f"u{i}", ago(20)) for i in range(before)] + [
        login(f"u{i}", ago(3)) for i in range(now)
    ]


def with_growth(model: HealthModel = MODEL, **changes: Any) -> HealthModel:
    data = model.model_dump(mode="json")
    for path, value in changes.items():
        node = data["growth"]
        *parents, leaf = path.split("__")
        for part in parents:
            node = node[part]
        node[leaf] = value
    return HealthModel.model_validate(data)


@pytest.mark.parametrize(
    ("before", "now", "rising"),
    [(10, 12, True), (10, 11, False), (12, 14, False), (2, 4, True), (1, 2, False), (5, 4, False)],
)
def test_users_rise_with_twenty_percent_and_two_more(before: int, now: int, rising: bool) -> None:
    growth = assess(build(users(before, now)))
    assert ("growth.users_rising" in codes(growth)) is rising


def test_users_active_only_now_are_a_rollout_not_a_rise() -> None:
    assert codes(assess(build(users(0, 8)))) == []


def test_the_window_is_the_last_14_days_today_included() -> None:
    # Days 0-13 ago are the window, 14-27 the window before, 28 and older neither.
    state = build(
        [login("a", ago(14)), login("b", ago(27)), login("old", ago(28))]
        + [login(user, ago(13)) for user in ("a", "b", "c", "d")]
    )
    assert active_users(state.users, TODAY, 14) == (4, 2)
    assert "Active users up from 2 to 4 (+100%)" in assess(state).drivers[0].text


def test_a_user_active_in_both_windows_counts_in_both() -> None:
    state = build([login("a", ago(day)) for day in range(0, 28)])
    assert active_users(state.users, TODAY, 14) == (1, 1)
    assert active_users(state.users, TODAY, 31) == (1, 0)


def test_features_used_first_in_the_window_widen_the_breadth() -> None:
    base = [*users(3, 3), login("u0", ago(20), "reports")]
    one_new = build([*base, login("u1", ago(2), "api")])
    two_new = build([*base, login("u1", ago(2), "api"), login("u2", ago(1), "sso")])
    again = build([*base, login("u1", ago(2), "reports"), login("u2", ago(1), "api")])
    assert "growth.breadth_rising" not in codes(assess(one_new))
    assert "growth.breadth_rising" not in codes(assess(again))  # reports is not new
    growth = assess(two_new)
    assert codes(growth) == ["growth.breadth_rising"]
    assert growth.drivers[0].text == (
        "2 features used for the first time in the last 14 days: api, sso"
    )


def test_a_new_account_adopting_features_shows_no_breadth_signal() -> None:
    state = build([login("u0", ago(2), "api"), login("u1", ago(1), "sso")])
    assert codes(assess(state)) == []


def test_features_a_state_knew_before_first_days_were_kept_are_not_new() -> None:
    state = build([*users(3, 3)])
    state.features = {"reports": TODAY - 1, "api": TODAY - 2}  # stored before features_since
    for event in (login("u1", ago(0), "reports"), login("u1", ago(0), "api")):
        apply_event(state, event, MODEL, T0)
    assert state.features_since == {"reports": 0, "api": 0}
    assert codes(assess(state)) == []
    apply_event(state, login("u1", ago(0), "sso"), MODEL, T0)
    apply_event(state, login("u2", ago(0), "export"), MODEL, T0)
    assert codes(assess(state)) == ["growth.breadth_rising"]


@pytest.mark.parametrize(
    ("answers", "holds"),
    [
        ([("business_executive", 10)], True),
        ([("finance_executive", 9), ("it_leader", 3)], False),  # as many detractors
        ([("finance_executive", 9), ("it_leader", 10), ("it_leader", 2)], True),
        ([("department_manager", 9), ("end_user", 0), ("end_user", 1)], True),  # not deciders
        ([("end_user", 10), ("technical_expert", 10)], False),  # users, not deciders
        ([("business_executive", 8)], False),  # a passive
        ([(None, 10)], False),  # no role given
    ],
)
def test_promoters_count_among_decision_makers_only(
    answers: list[tuple[str | None, int]], holds: bool
) -> None:
    state = build([nps(f"r{i}", score, ago(5), role) for i, (role, score) in enumerate(answers)])
    assert ("growth.decision_maker_promoters" in codes(assess(state))) is holds


def test_promoters_are_named_by_role_the_most_first_with_the_detractors() -> None:
    answers = [
        ("it_leader", 10),
        ("business_executive", 9),
        ("business_executive", 10),
        ("finance_executive", 2),
        ("end_user", 0),
    ]
    state = build([nps(f"r{i}", score, ago(5), role) for i, (role, score) in enumerate(answers)])
    assert assess(state).drivers[0].text == (
        "3 promoters among decision-makers (2 business executives, 1 IT leader), "
        "against 1 detractor"
    )


def test_the_decision_making_roles_are_the_models() -> None:
    state = build([nps("r", 10, ago(5), Role.END_USER)])
    model = with_growth(signals__decision_maker_promoters__roles=["end_user"])
    growth = assess(state, model=model)
    assert codes(growth) == ["growth.decision_maker_promoters"]
    assert growth.drivers[0].text == ("1 promoter among decision-makers (1 end user), no detractor")


def test_answers_older_than_the_sentiment_window_do_not_count() -> None:
    old = build([nps("r", 10, ago(181), Role.BUSINESS_EXECUTIVE)], now=ago(100))
    assert codes(assess(old)) == []


@pytest.mark.parametrize(
    ("days", "holds"), [(0, True), (120, True), (121, False), (-1, False), (200, False)]
)
def test_a_renewal_within_120_days_is_the_moment(days: int, holds: bool) -> None:
    state = build([profile(renewal_date=T0.date() + timedelta(days=days))])
    assert ("growth.renewal_approaching" in codes(assess(state))) is holds


def test_the_renewal_is_the_next_pending_contract() -> None:
    soon = T0.date() + timedelta(days=40)
    state = build(
        [
            profile(renewal_date=date(2026, 1, 1)),
            renewal("c1", "upcoming", ago(1), soon, 10_000),
        ]
    )
    growth = assess(state)
    assert growth.drivers[0].text == "Renewal in 40 days: the moment to propose more"
    decided = build(
        [
            profile(renewal_date=soon),
            renewal("c1", "renewed", ago(1), soon, 10_000),
        ]
    )
    assert codes(assess(decided)) == []  # the renewal was decided: nothing pending


def everything() -> AccountState:
    return build(
        [
            profile(renewal_date=T0.date() + timedelta(days=60)),
            *users(5, 8),
            login("u0", ago(20), "reports"),
            login("u1", ago(2), "api"),
            login("u2", ago(2), "sso"),
            nps("r", 10, ago(5), Role.BUSINESS_EXECUTIVE),
        ]
    )


def test_every_signal_adds_its_weight_and_the_drivers_add_up_to_the_strength() -> None:
    growth = assess(everything())
    assert growth.strength == 100 and growth.candidate
    assert codes(growth) == [
        "growth.users_rising",
        "growth.decision_maker_promoters",
        "growth.breadth_rising",
        "growth.renewal_approaching",
    ]
    assert [d.impact for d in growth.drivers] == [30, 30, 20, 20]
    assert all(d.component == "growth" for d in growth.drivers)


def test_strength_is_the_share_of_the_weights_whatever_they_add_up_to() -> None:
    model = with_growth(
        signals__users_rising__weight=1,
        signals__breadth_rising__weight=1,
        signals__decision_maker_promoters__weight=2,
        signals__renewal_approaching__weight=0,
        min_strength=50,
    )
    growth = assess(everything(), model=model)
    assert growth.strength == 100
    assert [(d.code, d.impact) for d in growth.drivers] == [
        ("growth.decision_maker_promoters", 50),
        ("growth.users_rising", 25),
        ("growth.breadth_rising", 25),
    ]  # a signal without weight is no driver


@pytest.mark.parametrize(
    ("band", "churned", "strength", "candidate"),
    [
        (Band.HEALTHY, False, 100, True),
        (Band.AT_RISK, False, 100, False),
        (Band.CRITICAL, False, 100, False),
        (Band.HEALTHY, True, 100, False),
    ],
)
def test_a_candidate_is_healthy_and_has_not_churned(
    band: Band, churned: bool, strength: float, candidate: bool
) -> None:
    growth = assess(everything(), band, churned)
    assert (growth.strength, growth.candidate) == (strength, candidate)


def test_a_candidate_needs_the_minimum_strength() -> None:
    state = build([*users(4, 6), nps("r", 9, ago(5), Role.FINANCE_EXECUTIVE)])
    assert assess(state).strength == 60 and assess(state).candidate
    stricter = with_growth(min_strength=61)
    assert not assess(state, model=stricter).candidate


def test_every_health_carries_its_growth() -> None:
    health = score(everything(), T0, MODEL)
    assert health.growth is not None
    assert health.growth.strength == 100
    assert health.growth.candidate is (health.band is Band.HEALTHY)
