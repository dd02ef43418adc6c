"""Support: backlog by priority and age, first reply time, reopen rate, CSAT, effort."""

from __future__ import annotations

import pytest

from models.components import support_signals
from models.events import Event
from tests.unit.models.test_model_factories import ago, build, context, ticket


def scenario() -> list[Event]:
    return [
        # open, urgent, 72 h old, replied after 2 h
        ticket("t1", "opened", ago(hours=72), "urgent"),
        ticket("t1", "first_response", ago(hours=70), "urgent"),
        # open, high, 10 h old, no reply yet
        ticket("t2", "opened", ago(hours=10), "high"),
        # resolved: reply after 30 h, CSAT 5, effort 6
        ticket("t3", "opened", ago(10)),
        ticket("t3", "first_response", ago(10, hours=-30)),
        ticket("t3", "resolved", ago(8), csat=5, effort=6),
        # reply after 10 h, resolved CSAT 4, reopened, resolved again CSAT 2, effort 4
        ticket("t4", "opened", ago(20), "low"),
        ticket("t4", "first_response", ago(20, hours=-10), "low"),
        ticket("t4", "resolved", ago(19), "low", csat=4),
        ticket("t4", "reopened", ago(18), "low"),
        ticket("t4", "resolved", ago(17), "low", csat=2, effort=4),
        # outside the 90-day support window: counts for nothing but is remembered
        ticket("t5", "opened", ago(100)),
        ticket("t5", "first_response", ago(100, hours=-1)),
        ticket("t5", "resolved", ago(99), csat=1, effort=1),
    ]


def test_support_factors_by_hand() -> None:
    signals = {s.factor: s for s in support_signals(build(scenario()), context())}
    # t1: 20 points x age multiplier at 72 h (1.5 + 1.0 * 24/120 = 1.7) = 34; t2: 10 x 1 = 10
    # 44 points on [30, 50] -> [60, 20]
    assert signals["open_tickets"].value == pytest.approx(50 - 30 * 14 / 30)
    assert signals["open_tickets"].text == (
        "1 urgent ticket open, the oldest for 3 days (+1 of lower priority)"
    )
    # first reply times in the window: 2 h, 30 h, 10 h -> median 10 h on [8, 80] -> [24, 55]
    assert signals["first_reply"].value == pytest.approx(80 - 25 * 2 / 16)
    # resolved in the window: t3, t4; t4 was reopened -> 0.5 -> 0
    assert signals["reopen_rate"].value == 0
    # CSAT: latest per ticket: t3 5, t4 2 -> 1 of 2 are 4-5 -> 0.5 -> 20
    assert signals["csat"].value == pytest.approx(20)
    assert signals["csat"].text.startswith("CSAT 50%: 1 of 2 answers rated 4-5")
    # effort: (6 + 4) / 2 = 5 -> 75
    assert signals["effort"].value == pytest.approx(75)


def test_first_reply_time_is_opened_to_first_response() -> None:
    events = [
        ticket("a", "first_response", ago(hours=4)),  # arrives before its `opened`
        ticket("a", "opened", ago(hours=28)),
        ticket("a", "first_response", ago(hours=2)),  # a later reply does not count
    ]
    signals = {s.factor: s for s in support_signals(build(events), context())}
    assert signals["first_reply"].value == pytest.approx(80 - 25 * (24 - 8) / 16)  # 24 h
    assert signals["first_reply"].text.startswith("Median first reply 24 h over 1 ticket")


def test_csat_is_the_share_of_four_and_five() -> None:
    answers = [5, 4, 3, 1, 5]
    events = [ticket(f"t{i}", "resolved", ago(1), csat=c) for i, c in enumerate(answers)]
    signals = {s.factor: s for s in support_signals(build(events), context())}
    assert signals["csat"].value == pytest.approx(20 + 30 * (0.6 - 0.5) / 0.2)  # 3 of 5


def test_no_open_tickets_scores_the_backlog_full() -> None:
    events = [ticket("t", "opened", ago(3)), ticket("t", "resolved", ago(2))]
    signals = {s.factor: s for s in support_signals(build(events), context())}
    assert signals["open_tickets"].value == 100
    assert signals["open_tickets"].text == "No open support tickets"
    assert "first_reply" not in signals and "csat" not in signals


def test_old_open_tickets_cost_more() -> None:
    fresh = support_signals(build([ticket("t", "opened", ago(hours=1), "urgent")]), context())
    stale = support_signals(build([ticket("t", "opened", ago(hours=100), "urgent")]), context())
    assert fresh[0].value == pytest.approx(65)  # 20 points on [10, 80] -> [30, 50]
    assert stale[0].value < fresh[0].value
    assert stale[0].text == "1 urgent ticket open, the oldest for 4 days"


def test_no_tickets_means_no_support_data() -> None:
    assert support_signals(build([]), context()) == []
