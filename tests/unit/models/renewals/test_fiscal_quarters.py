"""Fiscal quarters: bounds, labels and order, for a fiscal year starting in any month."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.renewals.quarters import quarter_of

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31))
months = st.integers(min_value=1, max_value=12)


@pytest.mark.parametrize(
    ("day", "start_month", "label", "starts_on", "ends_on"),
    [
        (date(2026, 2, 10), 1, "FY2026 Q1", date(2026, 1, 1), date(2026, 3, 31)),
        (date(2025, 12, 31), 1, "FY2025 Q4", date(2025, 10, 1), date(2025, 12, 31)),
        (date(2025, 4, 1), 4, "FY2026 Q1", date(2025, 4, 1), date(2025, 6, 30)),
        (date(2026, 3, 31), 4, "FY2026 Q4", date(2026, 1, 1), date(2026, 3, 31)),
        (date(2024, 2, 29), 12, "FY2024 Q1", date(2023, 12, 1), date(2024, 2, 29)),
        (date(2025, 1, 31), 2, "FY2025 Q4", date(2024, 11, 1), date(2025, 1, 31)),
    ],
)
def test_quarter_of_a_day(
    day: date, start_month: int, label: str, starts_on: date, ends_on: date
) -> None:
    quarter = quarter_of(day, start_month)
    assert (quarter.label, quarter.starts_on, quarter.ends_on) == (label, starts_on, ends_on)


@given(days, months)
def test_a_day_lies_in_its_quarter_and_quarters_follow_each_other(day: date, month: int) -> None:
    quarter = quarter_of(day, month)
    assert quarter.starts_on <= day <= quarter.ends_on
    assert quarter.shifted(1).starts_on == quarter.ends_on + timedelta(days=1)
    assert quarter_of(quarter.ends_on + timedelta(days=1), month) == quarter.shifted(1)
    first = quarter.first_of_year()
    assert first.quarter == 1 and first.fiscal_year == quarter.fiscal_year
    assert first.starts_on.month == month
    # The fiscal year is named after the calendar year it ends in.
    assert quarter.first_of_year().shifted(3).ends_on.year == quarter.fiscal_year


def test_a_start_month_outside_1_to_12_is_refused() -> None:
    with pytest.raises(ValueError, match="start_month"):
        quarter_of(date(2026, 1, 1), 13)
