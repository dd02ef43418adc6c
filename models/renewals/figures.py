"""The renewal desk's answer (`GET /portfolio/renewals`); docs/renewal-desk.md defines each figure.

A renewal is one contract's renewal record: its latest status, its renewal
date and the ARR up for renewal (`arr`). Periods hold the renewals whose
renewal date falls in them, as known today.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from models.health import Band


class RenewalTally(BaseModel):
    """How many renewals, and their ARR up for renewal summed."""

    renewals: int = Field(ge=0)
    arr: float = Field(ge=0)


class PeriodFigures(BaseModel):
    """The renewals due in one period (renewal date from `starts_on` through `ends_on`)."""

    starts_on: date
    ends_on: date
    due: RenewalTally = Field(description="Every renewal due in the period.")
    renewed: RenewalTally = Field(description="Renewed, expanded or contracted.")
    renewed_on_time: RenewalTally = Field(
        description="Renewed on or before the renewal date (UTC day the status was decided)."
    )
    renewed_late: RenewalTally = Field(description="Renewed after the renewal date.")
    churned: RenewalTally = Field(description="Churned: its ARR is the churn cost.")
    churned_accounts: int = Field(ge=0, description="Accounts with a churned renewal: unit churn.")
    pending: RenewalTally = Field(description="Not decided yet (upcoming).")
    renewal_rate_by_count: float | None = Field(
        ge=0, le=1, description="Renewed / (renewed + churned); null when none is decided."
    )
    renewal_rate_by_arr: float | None = Field(
        ge=0, le=1, description="The same weighted by ARR; null when the decided ARR is 0."
    )


class QuarterFigures(PeriodFigures):
    """One fiscal quarter, whole (its renewals due after today are mostly pending)."""

    label: str = Field(description='e.g. "FY2026 Q1"')
    fiscal_year: int = Field(description="Named after the calendar year the fiscal year ends in.")
    quarter: int = Field(ge=1, le=4)


class BandForecast(BaseModel):
    """Undecided renewals due by the end of the quarter, of accounts in one band."""

    renewals: int = Field(ge=0)
    arr: float = Field(ge=0)
    churn_probability: float = Field(ge=0, le=1, description="From the calibration.")
    expected_churn_arr: float = Field(ge=0, description="arr * churn_probability")


class ChurnForecast(BaseModel):
    """The cost of churn to the end of the current quarter."""

    quarter: str
    ends_on: date
    churn_cost_to_date: float = Field(
        ge=0, description="ARR of renewals churned so far, due this quarter up to today."
    )
    churned_ahead: RenewalTally = Field(
        description="Churn already decided for renewals due after today, by the quarter's end: "
        "counted whole."
    )
    pending: dict[Band, BandForecast] = Field(
        description="Undecided renewals due by the quarter's end (overdue ones included), "
        "by the account's current band."
    )
    expected_churn_arr: float = Field(
        ge=0, description="churned_ahead ARR + the pending bands' expected churn ARR."
    )
    forecast_churn_arr: float = Field(ge=0, description="churn_cost_to_date + expected_churn_arr.")


class DueSoonStatus(StrEnum):
    """Where a renewal due soon stands: decided, or the band of its undecided account."""

    RENEWED = "renewed"
    HEALTHY = "healthy"
    AT_RISK = "at_risk"
    CRITICAL = "critical"
    CHURNED = "churned"


class DueSoon(BaseModel):
    """Renewals due from today through `days` days ahead: the renewal opportunity."""

    days: int = Field(ge=1)
    starts_on: date
    ends_on: date
    statuses: dict[DueSoonStatus, RenewalTally] = Field(
        description="Every status, with zeros for an empty one."
    )
    total: RenewalTally
    good_health_share: float | None = Field(
        ge=0, le=1, description="ARR renewed or healthy / total ARR; null when it is 0."
    )
    target_share: float = Field(ge=0, le=1)
    meets_target: bool | None = Field(description="good_health_share >= target_share.")
    overdue: RenewalTally = Field(
        description="Undecided renewals whose date has passed (not counted above)."
    )


class CalibratedBand(BaseModel):
    renewals: int = Field(ge=0, description="Renewal outcomes of accounts in the band.")
    churned: int = Field(ge=0)
    churn_probability: float = Field(
        ge=0, le=1, description="churned / renewals; of all bands when the band has none."
    )


class Calibration(BaseModel):
    """The observed churn per band the forecast uses (the model's renewals.churn_calibration)."""

    source: str
    days_before: int | None = Field(description="The band was read this long before outcomes.")
    bands: dict[Band, CalibratedBand]


class RenewalDesk(BaseModel):
    """`GET /portfolio/renewals`: renewal KPIs per quarter and to date, forecast, due soon."""

    as_of: date = Field(description="Today (UTC): what `to date` and `due soon` count from.")
    records: Literal["postgresql", "worker"] = Field(
        description="Where the renewal records came from: every one ever stored in PostgreSQL, "
        "or (without PostgreSQL) the ones this worker's state holds: those decided within the "
        "model's longest window, and those not due yet."
    )
    fiscal_year_start_month: int = Field(ge=1, le=12)
    quarters: list[QuarterFigures] = Field(
        description="Every quarter from Q1 of the previous fiscal year through the current one."
    )
    quarter_to_date: PeriodFigures
    year_to_date: PeriodFigures
    churn_forecast: ChurnForecast
    due_soon: DueSoon
    calibration: Calibration
