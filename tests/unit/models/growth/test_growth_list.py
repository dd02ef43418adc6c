"""The growth list and its figures against tests/support/growth_history's hand-computed ones."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from models.events import TOPIC_EVENTS
from models.growth.figures import GrowthList, candidate_of, growth_list, is_healthy_and_active
from models.health import Health
from models.scoring import score
from models.state import AccountState, apply_event, new_state
from tests.support import growth_history as fixture

MODEL = fixture.growth_model()
# Mid-day, just after midnight, a leap day, the last hour of a year.
NOWS = [
    datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
    datetime(2025, 6, 30, 0, 5, tzinfo=UTC),
    datetime(2024, 2, 29, 9, 0, tzinfo=UTC),
    datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
]


def healths(now: datetime) -> dict[str, Health]:
    """Every fixture account scored at `now` with the fixture's model."""
    states: dict[str, AccountState] = {}
    for topic, items in fixture.events(now).items():
        for item in items:
            event = TOPIC_EVENTS[topic].model_validate(item)
            state = states.setdefault(event.account_id, new_state(event.account_id))
            assert apply_event(state, event, MODEL, now)
    return {account: score(state, now, MODEL) for account, state in states.items()}


def answer(found: list[Health], limit: int = 50) -> GrowthList:
    candidates = [c for h in found if (c := candidate_of(h)) is not None]
    healthy = sum(1 for h in found if is_healthy_and_active(h))
    return growth_list(candidates, healthy, MODEL.growth, "worker", limit)


def listed(body: GrowthList) -> list[dict[str, Any]]:
    """The candidates as the fixture writes them down."""
    keys = ("account_id", "name", "segment", "csm_owner", "arr", "renewal_date", "strength")
    data = body.model_dump(mode="json")["candidates"]
    return [{**{k: c[k] for k in keys}, "drivers": c["drivers"]} for c in data]


@pytest.mark.parametrize("now", NOWS, ids=lambda now: now.isoformat())
def test_candidates_come_best_first_with_their_drivers(now: datetime) -> None:
    body = answer(list(healths(now).values()))
    assert listed(body) == fixture.expected_candidates(now.date())
    assert (body.records, body.min_strength, body.window_days) == ("worker", 60, 14)


@pytest.mark.parametrize("now", NOWS, ids=lambda now: now.isoformat())
def test_every_figure_matches_the_hand_computed_one(now: datetime) -> None:
    summary = answer(list(healths(now).values())).model_dump(mode="json")["summary"]
    fixture.assert_summary(summary, fixture.EXPECTED_SUMMARY)


def test_the_figures_count_only_the_accounts_asked_for() -> None:
    found = healths(NOWS[0])
    enterprise = [h for h in found.values() if h.segment == "enterprise"]
    lee = [h for h in found.values() if h.csm_owner == "lee"]
    for chosen, expected in ((enterprise, fixture.ENTERPRISE_SUMMARY), (lee, fixture.LEE_SUMMARY)):
        fixture.assert_summary(answer(chosen).model_dump(mode="json")["summary"], expected)


def test_the_limit_shortens_the_list_never_the_figures() -> None:
    body = answer(list(healths(NOWS[0]).values()), limit=2)
    assert [c.account_id for c in body.candidates] == ["g-alpha", "g-charlie"]
    assert body.summary.candidates == 4


def test_strong_signals_without_health_or_after_a_churn_make_no_candidate() -> None:
    found = healths(NOWS[0])
    for account, (strength, why) in fixture.NOT_CANDIDATES.items():
        growth = found[account].growth
        assert growth is not None and not growth.candidate, account
        assert growth.strength == strength, account
        state = "churned" if found[account].current_lifecycle.churned else found[account].band
        assert state == why, account


def test_an_account_without_growth_is_no_candidate() -> None:
    health = healths(NOWS[0])["g-alpha"].model_copy(update={"growth": None})
    assert candidate_of(health) is None
    assert answer([health]).summary.candidates == 0
