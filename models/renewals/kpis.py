"""Every renewal KPI from renewal records, the accounts' current bands and today (pure).

    renewed          status renewed, expanded or contracted
    on time / late   renewed, decided on / after the renewal date (UTC days)
    rate by count    renewed / (renewed + churned), over the period's decided renewals
    rate by ARR      the same with each renewal weighted by its ARR up for renewal
    churn cost       ARR of the churned renewals; unit churn: the accounts among them
    expected churn   churn decided for renewals due after today, whole, plus, per band,
                     the ARR of undecided renewals due by the quarter's end times the band's
                     calibrated churn probability
    good health      ARR due soon that is renewed or whose account is healthy, over all
                     ARR due soon

A renewal belongs to the period its renewal date falls in, whenever it was
decided. docs/renewal-desk.md says the same in prose; the SQL views of
sinks/migrations/005_renewals.sql compute the same figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import Literal

from models.events import RenewalStatus
from models.health import Band, Health
from models.renewals.figures import (
    BandForecast,
    CalibratedBand,
    Calibration,
    ChurnForecast,
    DueSoon,
    DueSoonStatus,
    PeriodFigures,
    QuarterFigures,
    RenewalDesk,
    RenewalTally,
)
from models.renewals.quarters import FiscalQuarter, quarter_of
from models.renewals.settings import RenewalSettings

RETAINED = frozenset({RenewalStatus.RENEWED, RenewalStatus.EXPANDED, RenewalStatus.CONTRACTED})
BANDS = (Band.HEALTHY, Band.AT_RISK, Band.CRITICAL)


@dataclass(frozen=True, slots=True)
class Renewal:
    """One contract's renewal record, with the current band of its account."""

    account_id: str
    contract_id: str
    status: RenewalStatus
    renewal_date: date
    arr: float
    decided_on: date  # UTC day its status was decided
    band: Band

    @property
    def retained(self) -> bool:
        return self.status in RETAINED

    @property
    def churned(self) -> bool:
        return self.status is RenewalStatus.CHURNED

    @property
    def pending(self) -> bool:
        return self.status is RenewalStatus.UPCOMING


def renewals_of(health: Health) -> list[Renewal]:
    """The renewal records a health carries (none when it carries no contracts)."""
    return [
        Renewal(
            account_id=health.account_id,
            contract_id=contract.contract_id,
            status=contract.status,
            renewal_date=contract.renewal_date,
            arr=contract.arr,
            decided_on=contract.decided_at.astimezone(UTC).date(),
            band=health.band,
        )
        for contract in health.contracts or ()
    ]


def first_day_needed(today: date, settings: RenewalSettings) -> date:
    """The earliest renewal date a desk for `today` reads, besides undecided renewals."""
    current = quarter_of(today, settings.fiscal_year_start_month)
    return current.first_of_year().shifted(-4).starts_on


def renewal_desk(
    renewals: Iterable[Renewal],
    today: date,
    settings: RenewalSettings,
    records: Literal["postgresql", "worker"],
) -> RenewalDesk:
    """The whole answer of `GET /portfolio/renewals` as of `today` (UTC)."""
    known = list(renewals)
    current = quarter_of(today, settings.fiscal_year_start_month)
    first = current.first_of_year().shifted(-4)
    quarters = [
        quarter_figures(known, first.shifted(n)) for n in range(current.index - first.index + 1)
    ]
    return RenewalDesk(
        as_of=today,
        records=records,
        fiscal_year_start_month=settings.fiscal_year_start_month,
        quarters=quarters,
        quarter_to_date=period_figures(known, current.starts_on, today),
        year_to_date=period_figures(known, current.first_of_year().starts_on, today),
        churn_forecast=churn_forecast(known, today, current, settings),
        due_soon=due_soon(known, today, settings),
        calibration=calibration(settings),
    )


def _tally(chosen: Iterable[Renewal]) -> RenewalTally:
    members = list(chosen)
    return RenewalTally(renewals=len(members), arr=sum(r.arr for r in members))


def _rate(kept: float, lost: float) -> float | None:
    decided = kept + lost
    return kept / decided if decided > 0 else None


def period_figures(renewals: Sequence[Renewal], starts_on: date, ends_on: date) -> PeriodFigures:
    """The renewals due from `starts_on` through `ends_on`, as known now."""
    due = [r for r in renewals if starts_on <= r.renewal_date <= ends_on]
    renewed = [r for r in due if r.retained]
    churned = [r for r in due if r.churned]
    kept, lost = _tally(renewed), _tally(churned)
    return PeriodFigures(
        starts_on=starts_on,
        ends_on=ends_on,
        due=_tally(due),
        renewed=kept,
        renewed_on_time=_tally(r for r in renewed if r.decided_on <= r.renewal_date),
        renewed_late=_tally(r for r in renewed if r.decided_on > r.renewal_date),
        churned=lost,
        churned_accounts=len({r.account_id for r in churned}),
        pending=_tally(r for r in due if r.pending),
        renewal_rate_by_count=_rate(kept.renewals, lost.renewals),
        renewal_rate_by_arr=_rate(kept.arr, lost.arr),
    )


def quarter_figures(renewals: Sequence[Renewal], quarter: FiscalQuarter) -> QuarterFigures:
    figures = period_figures(renewals, quarter.starts_on, quarter.ends_on)
    return QuarterFigures(
        **dict(figures),
        label=quarter.label,
        fiscal_year=quarter.fiscal_year,
        quarter=quarter.quarter,
    )


def churn_forecast(
    renewals: Sequence[Renewal], today: date, current: FiscalQuarter, settings: RenewalSettings
) -> ChurnForecast:
    end = current.ends_on
    calibrated = settings.churn_calibration
    to_date = sum(
        r.arr for r in renewals if r.churned and current.starts_on <= r.renewal_date <= today
    )
    ahead = _tally(r for r in renewals if r.churned and today < r.renewal_date <= end)
    undecided = [r for r in renewals if r.pending and r.renewal_date <= end]
    pending: dict[Band, BandForecast] = {}
    for band in BANDS:
        tally = _tally(r for r in undecided if r.band is band)
        probability = calibrated.probability(band)
        pending[band] = BandForecast(
            renewals=tally.renewals,
            arr=tally.arr,
            churn_probability=probability,
            expected_churn_arr=tally.arr * probability,
        )
    expected = ahead.arr + sum(b.expected_churn_arr for b in pending.values())
    return ChurnForecast(
        quarter=current.label,
        ends_on=end,
        churn_cost_to_date=to_date,
        churned_ahead=ahead,
        pending=pending,
        expected_churn_arr=expected,
        forecast_churn_arr=to_date + expected,
    )


def due_soon_status(renewal: Renewal) -> DueSoonStatus:
    if renewal.retained:
        return DueSoonStatus.RENEWED
    if renewal.churned:
        return DueSoonStatus.CHURNED
    return DueSoonStatus(renewal.band.value)


def due_soon(renewals: Sequence[Renewal], today: date, settings: RenewalSettings) -> DueSoon:
    end = today + timedelta(days=settings.window_days)
    soon = [r for r in renewals if today <= r.renewal_date <= end]
    statuses = {
        status: _tally(r for r in soon if due_soon_status(r) is status) for status in DueSoonStatus
    }
    total = _tally(soon)
    good = statuses[DueSoonStatus.RENEWED].arr + statuses[DueSoonStatus.HEALTHY].arr
    # A part summed apart can exceed the whole by a rounding error: a share stays <= 1.
    share = min(1.0, good / total.arr) if total.arr > 0 else None
    return DueSoon(
        days=settings.window_days,
        starts_on=today,
        ends_on=end,
        statuses=statuses,
        total=total,
        good_health_share=share,
        target_share=settings.target_share,
        meets_target=None if share is None else share >= settings.target_share,
        overdue=_tally(r for r in renewals if r.pending and r.renewal_date < today),
    )


def calibration(settings: RenewalSettings) -> Calibration:
    calibrated = settings.churn_calibration
    return Calibration(
        source=calibrated.source,
        days_before=calibrated.days_before,
        bands={
            band: CalibratedBand(
                renewals=calibrated.outcomes(band).renewals,
                churned=calibrated.outcomes(band).churned,
                churn_probability=calibrated.probability(band),
            )
            for band in (Band.CRITICAL, Band.AT_RISK, Band.HEALTHY)
        },
    )
