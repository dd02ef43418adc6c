"""The hand-computed history (tests/support/lifecycle_history.py): each account's lifecycle
and every churn and resurrection figure, across a quarter boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from models.health import Health
from models.lifecycle.figures import churn_figures
from models.scoring import score
from models.state import AccountState, prune, utc_day
from tests.support.lifecycle_history import (
    EXPECTED_LIFECYCLES,
    LAST_OFFSET,
    expected_answer,
    folded_history,
    scored_history,
)
from tests.unit.models.test_model_factories import MODEL

ANCHOR = date(2025, 4, 1)  # Q2; the churns before it are Q1's
NOW = datetime.combine(ANCHOR + timedelta(days=LAST_OFFSET + 5), time(9), UTC)


def folded() -> dict[str, AccountState]:
    return folded_history(ANCHOR, NOW, MODEL)


def healths() -> dict[str, Health]:
    return scored_history(ANCHOR, NOW, MODEL)


@pytest.mark.parametrize("account", sorted(EXPECTED_LIFECYCLES))
def test_each_account_has_the_lifecycle_worked_out_by_hand(account: str) -> None:
    expected = EXPECTED_LIFECYCLES[account]
    lifecycle = healths()[account].current_lifecycle

    def day(offset: int | None) -> date | None:
        return None if offset is None else ANCHOR + timedelta(days=offset)

    assert lifecycle.status.value == expected.status
    assert lifecycle.churned_on == day(expected.churned_on)
    assert lifecycle.arr_lost == expected.arr_lost
    assert lifecycle.resurrected_on == day(expected.resurrected_on)
    assert lifecycle.churns == expected.churns == len(lifecycle.episodes)


def test_the_churn_figures_are_the_hand_computed_ones_per_quarter_and_in_all() -> None:
    episodes = [e for h in healths().values() for e in h.current_lifecycle.episodes]
    all_time, quarters = churn_figures(episodes)
    expected = expected_answer(ANCHOR)
    assert all_time.model_dump() == pytest.approx(expected["all_time"])
    assert [q.model_dump() for q in quarters] == [pytest.approx(q) for q in expected["quarters"]]
    assert [q.quarter for q in quarters] == ["2025-Q1", "2025-Q2"]


def test_the_figures_stay_once_every_event_has_left_the_windows() -> None:
    """A year on, the windows hold nothing of the history; the lifecycles are unchanged."""
    later = NOW + timedelta(days=365)
    before = {a: h.current_lifecycle for a, h in healths().items()}
    for account, state in folded().items():
        prune(state, MODEL, utc_day(later))
        assert not state.contracts and not state.users
        assert score(state, later, MODEL).current_lifecycle == before[account]
