"""Fiscal quarters: which one a day falls in, its bounds and its label.

A fiscal year starts on the first day of `start_month` and is named after the
calendar year it ends in (starting in April: FY2026 runs from 2025-04-01 to
2026-03-31; starting in January, FY2026 is the calendar year 2026). Its
quarters start every three months. Quarters are counted from the fiscal year
that starts in year 0, so consecutive quarters have consecutive indices
(the SQL views of sinks/migrations/005_renewals.sql count the same way).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, slots=True, order=True)
class FiscalQuarter:
    index: int  # quarters since the fiscal year that starts in year 0
    start_month: int  # the month the fiscal year starts in, 1-12

    @property
    def starts_on(self) -> date:
        return _month_start(self.index * 3 + self.start_month - 1)

    @property
    def ends_on(self) -> date:
        return _month_start((self.index + 1) * 3 + self.start_month - 1) - timedelta(days=1)

    @property
    def fiscal_year(self) -> int:
        """Named after the calendar year the fiscal year ends in."""
        starts_in = self.index // 4
        return starts_in + 1 if self.start_month > 1 else starts_in

    @property
    def quarter(self) -> int:
        return self.index % 4 + 1

    @property
    def label(self) -> str:
        return f"FY{self.fiscal_year} Q{self.quarter}"

    def shifted(self, quarters: int) -> FiscalQuarter:
        return FiscalQuarter(self.index + quarters, self.start_month)

    def first_of_year(self) -> FiscalQuarter:
        """Q1 of this quarter's fiscal year."""
        return self.shifted(-(self.index % 4))


def quarter_of(day: date, start_month: int) -> FiscalQuarter:
    """The fiscal quarter `day` falls in, for a fiscal year starting in `start_month`."""
    if not 1 <= start_month <= 12:
        raise ValueError(f"start_month must be 1-12, got {start_month}")
    months = day.year * 12 + day.month - 1 - (start_month - 1)
    return FiscalQuarter(months // 3, start_month)


def _month_start(months: int) -> date:
    """The first day of the month `months` months after January of year 0."""
    return date(months // 12, months % 12 + 1, 1)
