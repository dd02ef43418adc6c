"""Commercial: days to renewal, contraction and expansion, churn."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from models.components import commercial_signals
from tests.unit.models.test_model_factories import T0, ago, build, context, profile, renewal

TODAY = T0.date()


def test_profile_renewal_date_alone_gives_days_to_renewal() -> None:
    state = build([profile(renewal_date=TODAY + timedelta(days=45))])
    [signal] = commercial_signals(state, context())
    assert signal.factor == "renewal"
    assert signal.value == pytest.approx(50 + 25 * 15 / 60)  # 45 days on [30,50]-[90,75]
    assert signal.text == "Renewal in 45 days"


def test_contraction_and_upcoming_renewal_by_hand() -> None:
    events = [
        renewal("c1", "contracted", ago(20), TODAY - timedelta(days=20), 100_000, 80_000),
        renewal("c2", "upcoming", ago(30), TODAY + timedelta(days=10), 50_000),
    ]
    signals = {s.factor: s for s in commercial_signals(build(events), context())}
    assert signals["renewal"].value == pytest.approx(30 + 20 * 10 / 30)  # 10 days
    assert signals["arr_change"].value == pytest.approx(40)  # 0.8 on [0.7,25]-[0.9,55]
    assert signals["arr_change"].text == "Contracted: ARR 100,000 → 80,000 (20%)"


def test_expansion_scores_above_flat_renewal() -> None:
    day = TODAY - timedelta(days=5)
    flat = commercial_signals(build([renewal("c", "renewed", ago(5), day, 100)]), context())
    grown = commercial_signals(build([renewal("c", "expanded", ago(5), day, 100, 120)]), context())
    assert flat[0].value == pytest.approx(75)
    assert grown[0].value == pytest.approx(95)


def test_churned_account_scores_zero() -> None:
    events = [
        profile(renewal_date=TODAY + timedelta(days=200)),
        renewal("c1", "upcoming", ago(60), TODAY - timedelta(days=10), 40_000),
        renewal("c1", "churned", ago(9), TODAY - timedelta(days=10), 40_000),
    ]
    [signal] = commercial_signals(build(events), context())
    assert (signal.value, signal.driver_code) == (0, "commercial.churned")
    assert signal.text == "Churned: 40,000 ARR lost"


def test_overdue_renewal_keeps_falling_with_time() -> None:
    events = [renewal("c", "upcoming", ago(40), TODAY - timedelta(days=15), 10_000)]
    [signal] = commercial_signals(build(events), context())
    assert signal.value == pytest.approx(15)  # -15 days on [-30,0]-[0,30]
    assert signal.text == "Renewal overdue by 15 days"
    [later] = commercial_signals(build(events), context(T0 + timedelta(days=10)))
    assert later.value < signal.value


def test_renewal_already_settled_is_not_pending() -> None:
    due = date(2025, 2, 20)
    events = [profile(renewal_date=due), renewal("c", "renewed", ago(8), due, 100)]
    factors = {s.factor for s in commercial_signals(build(events), context())}
    assert factors == {"arr_change"}


def test_no_contract_data_means_no_commercial_data() -> None:
    assert commercial_signals(build([profile()]), context()) == []
