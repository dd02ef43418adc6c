"""What the backtest reads of a state besides the score: factor values and behaviour counts."""

from __future__ import annotations

import pytest

from models.backtest.baselines import NEVER_DAYS, behaviour, features_used
from models.scoring import factor_values, score
from tests.unit.models.test_model_factories import (
    MODEL,
    T0,
    ago,
    build,
    login,
    nps,
    profile,
    ticket,
)


def test_each_component_is_the_weighted_mean_of_its_factor_values() -> None:
    events = [
        profile(champion_user_id="c", sponsor_user_id="s", renewal_date=ago(-40).date()),
        login("c", ago(12), feature="reports"),
        login("u", ago(0), feature="api"),
        login("u", ago(20)),
        ticket("t", "opened", ago(3), "urgent"),
        ticket("t2", "opened", ago(10)),
        ticket("t2", "first_response", ago(9)),
        ticket("t2", "resolved", ago(8), csat=2, effort=3),
        nps("r", 3, ago(2), "business_executive"),
    ]
    state = build(events)
    health = score(state, T0, MODEL)
    values = factor_values(state, T0, MODEL)
    assert {"engagement.recency", "engagement.champion", "support.csat", "sentiment.nps"} <= set(
        values
    )
    assert "support.reopen_rate" in values  # one ticket resolved, never reopened
    for name, component in MODEL.components.model_dump().items():
        weights = {f: spec["weight"] for f, spec in component["factors"].items()}
        mine = {f.split(".", 1)[1]: v for f, v in values.items() if f.startswith(name + ".")}
        total = sum(weights[f] for f in mine)
        expected = sum(weights[f] * v for f, v in mine.items()) / total
        assert health.components[name] == pytest.approx(expected, abs=0.05), name


def test_a_factor_without_data_is_absent() -> None:
    values = factor_values(build([login("u", ago(1))]), T0, MODEL)
    assert "engagement.breadth" not in values  # no login carried a feature
    assert not any(name.startswith(("support.", "sentiment.")) for name in values)


def test_behaviour_counts_the_last_days_of_activity() -> None:
    events = [
        login("a", ago(0), feature="reports"),
        login("a", ago(0), feature="api"),  # same user, same day: one user-day
        login("b", ago(3)),
        login("c", ago(20), feature="exports"),
        login("d", ago(45), feature="billing"),  # outside the 30-day window
        ticket("t1", "opened", ago(2)),
        ticket("t2", "opened", ago(40)),
        ticket("t2", "resolved", ago(39)),
    ]
    counts = behaviour(build(events), T0, MODEL)
    assert counts == {
        "user_days_7d": 2.0,
        "user_days_30d": 3.0,
        "active_users_30d": 3.0,
        "features_30d": 3.0,
        "days_since_login": pytest.approx(0.0),
        "tickets_opened_30d": 1.0,
        "tickets_opened_90d": 2.0,
        "open_tickets": 1.0,
    }
    assert features_used(build(events), T0, MODEL) == ["api", "exports", "reports"]


def test_an_account_nobody_logged_in_to_is_a_year_silent() -> None:
    counts = behaviour(build([ticket("t", "opened", ago(1))]), T0, MODEL)
    assert counts["days_since_login"] == NEVER_DAYS
    assert counts["user_days_30d"] == counts["features_30d"] == 0.0
