"""The model file's `renewals` section: the fiscal calendar, the target and the churn calibration.

The calibration is the observed churn per band of a backtest (`healthscore fit`
writes the one it measured): of the renewal outcomes whose account was in
that band some days before, how many churned. A band's churn probability is
its churned / renewals; a band without outcomes takes the rate of all of them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from models.health import Band
from models.model_parts import Strict


class BandOutcomes(Strict):
    """Renewal outcomes of accounts in one band, and how many of them churned."""

    renewals: Annotated[int, Field(ge=0)]
    churned: Annotated[int, Field(ge=0)]

    @model_validator(mode="after")
    def _churned_among_renewals(self) -> BandOutcomes:
        if self.churned > self.renewals:
            raise ValueError(f"churned ({self.churned}) cannot exceed renewals ({self.renewals})")
        return self


# Measured by `healthscore backtest` on the demo company (300 accounts over 400 days,
# seed 7) with the default model, 60 days before each outcome.
DEMO_CALIBRATION = {
    Band.CRITICAL: BandOutcomes(renewals=24, churned=24),
    Band.AT_RISK: BandOutcomes(renewals=67, churned=20),
    Band.HEALTHY: BandOutcomes(renewals=71, churned=7),
}
DEMO_SOURCE = "backtest of the demo company, 300 accounts over 400 days, default model"


class ChurnCalibration(Strict):
    """Observed churn per band, and where it was observed."""

    source: Annotated[str, Field(max_length=500)] = DEMO_SOURCE
    # How long before each outcome the account's band was read.
    days_before: Annotated[int, Field(ge=1, le=3660)] | None = 60
    bands: dict[Band, BandOutcomes] = Field(default_factory=lambda: dict(DEMO_CALIBRATION))

    @model_validator(mode="after")
    def _some_outcomes(self) -> ChurnCalibration:
        if sum(outcomes.renewals for outcomes in self.bands.values()) < 1:
            raise ValueError("bands: at least one renewal outcome is needed to calibrate")
        return self

    def outcomes(self, band: Band) -> BandOutcomes:
        return self.bands.get(band, BandOutcomes(renewals=0, churned=0))

    def probability(self, band: Band) -> float:
        """Churned / renewals of the band; of all bands together when it has none."""
        own = self.outcomes(band)
        if own.renewals:
            return own.churned / own.renewals
        renewals = sum(o.renewals for o in self.bands.values())
        return sum(o.churned for o in self.bands.values()) / renewals


class RenewalSettings(Strict):
    """How the renewal desk (`GET /portfolio/renewals`, the Renewals dashboard) counts."""

    # The month the fiscal year starts in (1 = January); its quarters start every 3 months.
    fiscal_year_start_month: Annotated[int, Field(ge=1, le=12)] = 1
    # "Due soon": renewal dates from today through today + this many days.
    window_days: Annotated[int, Field(ge=1, le=366)] = 90
    # The share of ARR due soon that should be renewed or healthy.
    target_share: Annotated[float, Field(ge=0, le=1)] = 0.9
    churn_calibration: ChurnCalibration = ChurnCalibration()
