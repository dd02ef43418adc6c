"""The CX figures of tests/support/cx_history.py's accounts, each against its hand count."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from models.experience.figures import (
    CustomerExperience,
    Dimension,
    customer_experience,
    member_of,
)
from models.health import Health
from tests.support import cx_history as fixture
from tests.support.renewal_history import flat
from tests.unit.models.test_model_factories import MODEL

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def fixture_healths() -> list[Health]:
    return fixture.healths(NOW, MODEL)


def answer(by: Dimension) -> CustomerExperience:
    members = [m for h in fixture_healths() if (m := member_of(h)) is not None]
    return customer_experience(members, by, MODEL.windows, "worker")


def test_every_figure_of_the_active_portfolio_is_the_hand_count() -> None:
    total = answer(Dimension.SEGMENT).total.model_dump(mode="json")
    assert flat(total) == pytest.approx(flat(fixture.EXPECTED_TOTAL))


def test_per_segment_the_nps_counts_every_answer_of_its_accounts() -> None:
    groups = answer(Dimension.SEGMENT).groups
    assert set(groups) == set(fixture.EXPECTED_SEGMENTS)
    for segment, wanted in fixture.EXPECTED_SEGMENTS.items():
        found: dict[str, Any] = groups[segment].model_dump(mode="json")
        assert flat({key: found[key] for key in wanted}) == pytest.approx(flat(wanted))


def test_an_account_without_an_owner_counts_as_unassigned() -> None:
    groups = answer(Dimension.CSM_OWNER).groups
    assert {owner: g.accounts for owner, g in groups.items()} == fixture.EXPECTED_OWNERS


def test_the_churned_account_counts_nowhere_but_its_health_carries_its_counts() -> None:
    [delta] = [h for h in fixture_healths() if h.account_id == "delta"]
    assert delta.current_lifecycle.churned
    assert delta.experience is not None and delta.experience.csat.answers == 1
    assert answer(Dimension.REGION).groups["amer"].accounts == 1  # beta alone


def test_the_answer_says_which_windows_it_counts() -> None:
    windows = answer(Dimension.REGION).windows
    assert (windows.nps_days, windows.support_days, windows.activity_days) == (180, 90, 30)
