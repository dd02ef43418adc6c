"""Properties of the renewal KPIs over any set of renewals."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from models.events import RenewalStatus
from models.health import Band
from models.renewals.figures import PeriodFigures, RenewalDesk
from models.renewals.kpis import Renewal, renewal_desk
from models.renewals.settings import RenewalSettings

TODAY = date(2026, 2, 10)
FAST = settings(max_examples=150, deadline=None)

renewal_records = st.builds(
    Renewal,
    account_id=st.sampled_from([f"a{i}" for i in range(8)]),
    contract_id=st.sampled_from([f"c{i}" for i in range(30)]),
    status=st.sampled_from(RenewalStatus),
    renewal_date=st.dates(TODAY - timedelta(days=800), TODAY + timedelta(days=200)),
    arr=st.floats(0, 1e6, allow_nan=False),
    decided_on=st.dates(TODAY - timedelta(days=900), TODAY),
    band=st.sampled_from(Band),
)
desk_settings = st.builds(
    RenewalSettings,
    fiscal_year_start_month=st.integers(1, 12),
    window_days=st.integers(1, 366),
    target_share=st.floats(0, 1),
)


def periods(desk: RenewalDesk) -> list[PeriodFigures]:
    return [*desk.quarters, desk.quarter_to_date, desk.year_to_date]


@FAST
@given(st.lists(renewal_records, max_size=40), desk_settings)
def test_statuses_partition_what_is_due_and_rates_are_shares(
    renewals: list[Renewal], chosen: RenewalSettings
) -> None:
    desk = renewal_desk(renewals, TODAY, chosen, "worker")
    for period in periods(desk):
        parts = (period.renewed, period.churned, period.pending)
        assert period.due.renewals == sum(p.renewals for p in parts)
        assert period.renewed.renewals == period.renewed_on_time.renewals + (
            period.renewed_late.renewals
        )
        assert period.churned_accounts <= period.churned.renewals
        for rate in (period.renewal_rate_by_count, period.renewal_rate_by_arr):
            assert rate is None or 0 <= rate <= 1
    soon = desk.due_soon
    assert soon.total.renewals == sum(t.renewals for t in soon.statuses.values())
    assert soon.good_health_share is None or 0 <= soon.good_health_share <= 1
    forecast = desk.churn_forecast
    assert forecast.forecast_churn_arr >= forecast.churn_cost_to_date
    assert desk.quarters[-1].starts_on == desk.quarter_to_date.starts_on


@FAST
@given(st.lists(renewal_records, max_size=40), st.floats(1, 1e6))
def test_with_equal_arr_the_rate_by_arr_is_the_rate_by_count(
    renewals: list[Renewal], arr: float
) -> None:
    same = [replace(r, arr=arr) for r in renewals]
    desk = renewal_desk(same, TODAY, RenewalSettings(), "worker")
    for period in periods(desk):
        by_count, by_arr = period.renewal_rate_by_count, period.renewal_rate_by_arr
        assert (by_count is None) == (by_arr is None)
        if by_count is not None and by_arr is not None:
            assert abs(by_count - by_arr) < 1e-9


@FAST
@given(st.lists(renewal_records, max_size=40), st.randoms())
def test_the_order_of_the_records_changes_nothing(
    renewals: list[Renewal], rng: random.Random
) -> None:
    shuffled = renewals[:]
    rng.shuffle(shuffled)
    first = renewal_desk(renewals, TODAY, RenewalSettings(), "worker")
    again = renewal_desk(shuffled, TODAY, RenewalSettings(), "worker")
    assert _rounded(first.model_dump(mode="json")) == _rounded(again.model_dump(mode="json"))


def _rounded(value: object) -> object:
    """Sums of floats in another order differ in the last bits."""
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return round(value, 6) if isinstance(value, float) else value
