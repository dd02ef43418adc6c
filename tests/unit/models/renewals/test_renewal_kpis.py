"""Every renewal KPI on a hand-computed history, on any day, across fiscal-year boundaries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from models.health import Band
from models.renewals.figures import PeriodFigures, RenewalDesk
from models.renewals.kpis import renewal_desk
from models.renewals.settings import RenewalSettings
from tests.support import renewal_history as fixture

# Days spread over three years, with every month's first and last day of the quarter's
# second month among them, and a leap day.
DAYS = sorted(
    {date(2024, 1, 1) + timedelta(days=n) for n in range(0, 3 * 366, 11)}
    | {date(2024, 2, 29), date(2025, 2, 1), date(2025, 2, 28), date(2026, 5, 31)}
)


def settings_for(today: date) -> RenewalSettings:
    return RenewalSettings.model_validate(
        {
            "fiscal_year_start_month": fixture.start_month(today),
            "target_share": fixture.TARGET_SHARE,
            "churn_calibration": {"source": "test", "bands": fixture.CALIBRATION},
        }
    )


def desk_on(today: date) -> RenewalDesk:
    return renewal_desk(fixture.renewals(today), today, settings_for(today), "worker")


def figures(period: PeriodFigures) -> dict[str, Any]:
    data = period.model_dump(mode="json")
    return {key: data[key] for key in fixture.EXPECTED_QUARTER_TO_DATE}


def same(found: Any, expected: Any) -> None:
    assert fixture.flat(found) == pytest.approx(fixture.flat(expected))


@pytest.mark.parametrize("today", DAYS, ids=str)
def test_the_history_gives_the_hand_computed_figures_on_any_day(today: date) -> None:
    desk = desk_on(today)
    frame = fixture.frame(today)
    assert [q.label for q in desk.quarters] == [q.label for q in frame.quarters]
    same([figures(q) for q in desk.quarters], fixture.EXPECTED_QUARTERS)
    same(figures(desk.quarter_to_date), fixture.EXPECTED_QUARTER_TO_DATE)
    same(figures(desk.year_to_date), fixture.EXPECTED_YEAR_TO_DATE)
    forecast = desk.churn_forecast.model_dump(mode="json")
    for band in forecast["pending"].values():
        del band["expected_churn_arr"]
    expected = fixture.EXPECTED_FORECAST
    same({key: forecast[key] for key in expected}, expected)
    soon = desk.due_soon.model_dump(mode="json")
    same({key: soon[key] for key in fixture.EXPECTED_DUE_SOON}, fixture.EXPECTED_DUE_SOON)


def test_periods_and_labels_across_a_fiscal_year_starting_in_october() -> None:
    desk = desk_on(date(2026, 2, 10))
    assert desk.fiscal_year_start_month == 10
    assert [(q.label, q.starts_on, q.ends_on) for q in desk.quarters] == [
        ("FY2025 Q1", date(2024, 10, 1), date(2024, 12, 31)),
        ("FY2025 Q2", date(2025, 1, 1), date(2025, 3, 31)),
        ("FY2025 Q3", date(2025, 4, 1), date(2025, 6, 30)),
        ("FY2025 Q4", date(2025, 7, 1), date(2025, 9, 30)),
        ("FY2026 Q1", date(2025, 10, 1), date(2025, 12, 31)),
        ("FY2026 Q2", date(2026, 1, 1), date(2026, 3, 31)),
    ]
    assert (desk.quarter_to_date.starts_on, desk.quarter_to_date.ends_on) == (
        date(2026, 1, 1),
        date(2026, 2, 10),
    )
    assert desk.year_to_date.starts_on == date(2025, 10, 1)
    assert (desk.churn_forecast.quarter, desk.churn_forecast.ends_on) == (
        "FY2026 Q2",
        date(2026, 3, 31),
    )
    assert (desk.due_soon.starts_on, desk.due_soon.ends_on) == (
        date(2026, 2, 10),
        date(2026, 5, 11),
    )


def test_unit_churn_counts_an_account_once_and_churn_cost_every_contract() -> None:
    q3 = desk_on(date(2026, 2, 10)).quarters[2]
    assert (q3.churned.renewals, q3.churned_accounts, q3.churned.arr) == (3, 2, 30_000.0)


def test_the_forecast_multiplies_each_bands_pending_arr_by_its_churn_probability() -> None:
    pending = desk_on(date(2026, 2, 10)).churn_forecast.pending
    assert pending[Band.CRITICAL].expected_churn_arr == pytest.approx(27_000 * 0.5)
    assert pending[Band.AT_RISK].expected_churn_arr == pytest.approx(44_000 * 0.25)
    assert pending[Band.HEALTHY].expected_churn_arr == pytest.approx(70_000 * 0.05)


def test_the_calibration_is_shown_with_counts_and_rates() -> None:
    shown = desk_on(date(2026, 2, 10)).calibration
    assert shown.source == "test"
    assert shown.days_before == 60
    assert shown.bands[Band.CRITICAL].model_dump() == {
        "renewals": 10,
        "churned": 5,
        "churn_probability": 0.5,
    }


def test_meeting_the_target_share_of_good_health() -> None:
    today = date(2026, 2, 10)
    lenient = settings_for(today).model_copy(update={"target_share": 0.7})
    soon = renewal_desk(fixture.renewals(today), today, lenient, "worker").due_soon
    assert soon.good_health_share == pytest.approx(141 / 198)
    assert soon.meets_target is True


def test_with_no_renewals_rates_and_shares_are_null_and_tallies_zero() -> None:
    today = date(2026, 2, 10)
    desk = renewal_desk([], today, settings_for(today), "postgresql")
    assert desk.quarter_to_date.renewal_rate_by_count is None
    assert desk.quarter_to_date.renewal_rate_by_arr is None
    assert desk.due_soon.good_health_share is None
    assert desk.due_soon.meets_target is None
    assert desk.churn_forecast.forecast_churn_arr == 0
    assert len(desk.quarters) == 6
