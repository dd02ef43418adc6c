"""A small renewal history with known renewals, churns and resurrections, and its KPIs by hand.

The history is placed around `today`, in a fiscal calendar chosen so that today
lies in the second month of the second quarter of its fiscal year (`start_month`
below). Then the current quarter began 28 to 59 days ago and ends 28 to 61 days
ahead, the first quarter of the fiscal year lies wholly before it, and the
previous fiscal year's four quarters before that: every renewal below is dated
relative to those quarters or to today so that it falls in the same period
whatever today is, and the figures in EXPECTED hold on any day. The unit tests
check them on many days, the integration test on the real one.

Accounts and what happens to them (arr in thousands; P1-P4 the previous fiscal
year's quarters, C1 this year's first, Q0 the current one, T today):

    a-01..a-12   renewed on time or late, churned, across P1-C1
    a-06         churn notice given in P2 for a renewal due in P3: counted in P3
    a-07         two contracts churned in P3: unit churn counts the account once
    a-09         due on P4's last day, renewed in C1: late, counted in P4
    lazarus      churned in P4, then won back on the same contract: renewed late
    phoenix      churned in P2 (contract 1), came back with contract 2 renewed in C1,
                 contract 3 pending in Q0 (healthy)
    a-13         pending since C1: overdue, and in this quarter's forecast
    a-14..a-21   Q0: renewed late, churned, overdue, renewed early, churn decided
                 ahead, pending per band, due today
    a-22, a-23   due after Q0's end, within 90 days (a-23 on the window's last day)
    a-24, a-25   outside everything: due in 91 days; due before P1
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from models.events import RenewalStatus
from models.health import Band
from models.renewals.kpis import Renewal
from models.renewals.quarters import FiscalQuarter, quarter_of

RENEWED = RenewalStatus.RENEWED
EXPANDED = RenewalStatus.EXPANDED
CONTRACTED = RenewalStatus.CONTRACTED
CHURNED = RenewalStatus.CHURNED
UPCOMING = RenewalStatus.UPCOMING
HEALTHY, AT_RISK, CRITICAL = Band.HEALTHY, Band.AT_RISK, Band.CRITICAL

# Churn calibration the expected forecast uses: critical 1/2, at risk 1/4, healthy 1/20.
CALIBRATION = {
    "critical": {"renewals": 10, "churned": 5},
    "at_risk": {"renewals": 8, "churned": 2},
    "healthy": {"renewals": 20, "churned": 1},
}
TARGET_SHARE = 0.9


def start_month(today: date) -> int:
    """The fiscal year's first month that puts `today` in the 2nd month of Q2."""
    return (today.month - 1 - 4) % 12 + 1


@dataclass(frozen=True)
class Entry:
    """One contract's renewal as the history produces it: its latest status, and the
    status it had before when it changed (the win-back)."""

    account_id: str
    contract_id: str
    status: RenewalStatus
    renewal_date: date
    arr: float
    decided_on: date | None  # None: undecided (upcoming)
    band: Band
    earlier: tuple[RenewalStatus, date] | None = None


@dataclass(frozen=True)
class Frame:
    today: date
    start_month: int
    q0: FiscalQuarter  # the current quarter: Q2
    c1: FiscalQuarter  # this fiscal year's first quarter
    previous: tuple[FiscalQuarter, ...]  # the previous fiscal year's four quarters

    @property
    def quarters(self) -> list[FiscalQuarter]:
        return [*self.previous, self.c1, self.q0]


def frame(today: date) -> Frame:
    month = start_month(today)
    q0 = quarter_of(today, month)
    assert q0.quarter == 2, q0
    c1 = q0.shifted(-1)
    return Frame(today, month, q0, c1, tuple(c1.shifted(n) for n in range(-4, 0)))


def history(today: date) -> list[Entry]:
    f = frame(today)
    p1, p2, p3, p4 = (q.starts_on for q in f.previous)
    c1, q0, t = f.c1.starts_on, f.q0.starts_on, today
    k = 1000.0

    def day(start: date, offset: int) -> date:
        return start + timedelta(days=offset)

    return [
        Entry("a-01", "a-01-c1", RENEWED, day(p1, 10), 100 * k, day(p1, 5), HEALTHY),
        Entry("a-02", "a-02-c1", EXPANDED, day(p1, 40), 50 * k, day(p1, 45), HEALTHY),
        Entry("a-03", "a-03-c1", CHURNED, day(p1, 60), 20 * k, day(p1, 50), CRITICAL),
        Entry("a-04", "a-04-c1", RENEWED, day(p2, 5), 40 * k, day(p2, 5), HEALTHY),
        Entry("phoenix", "phoenix-c1", CHURNED, day(p2, 20), 30 * k, day(p2, 18), HEALTHY),
        Entry("a-05", "a-05-c1", CONTRACTED, day(p2, 70), 60 * k, day(p2, 60), AT_RISK),
        Entry("a-06", "a-06-c1", CHURNED, day(p3, 5), 10 * k, day(p3, -11), CRITICAL),
        Entry("a-07", "a-07-c1", CHURNED, day(p3, 30), 15 * k, day(p3, 30), CRITICAL),
        Entry("a-07", "a-07-c2", CHURNED, day(p3, 31), 5 * k, day(p3, 30), CRITICAL),
        Entry("a-08", "a-08-c1", RENEWED, day(p3, 50), 25 * k, day(p3, 49), HEALTHY),
        Entry(
            "lazarus",
            "lazarus-c1",
            RENEWED,
            day(p4, 30),
            35 * k,
            day(p4, 60),
            HEALTHY,
            earlier=(CHURNED, day(p4, 30)),
        ),
        Entry("a-09", "a-09-c1", RENEWED, f.previous[3].ends_on, 45 * k, day(c1, 2), HEALTHY),
        Entry("a-10", "a-10-c1", CHURNED, day(p4, 10), 12 * k, day(p4, 10), CRITICAL),
        Entry("phoenix", "phoenix-c2", RENEWED, day(c1, 15), 30 * k, day(c1, 10), HEALTHY),
        Entry("a-11", "a-11-c1", CHURNED, day(c1, 40), 8 * k, day(c1, 41), CRITICAL),
        Entry("a-12", "a-12-c1", RENEWED, day(c1, 60), 22 * k, day(c1, 58), HEALTHY),
        Entry("a-13", "a-13-c1", UPCOMING, day(c1, 70), 18 * k, None, AT_RISK),
        Entry("a-14", "a-14-c1", RENEWED, day(q0, 1), 16 * k, t, HEALTHY),
        Entry("a-15", "a-15-c1", CHURNED, day(q0, 3), 9 * k, day(q0, 2), CRITICAL),
        Entry("a-16", "a-16-c1", UPCOMING, day(t, -5), 14 * k, None, CRITICAL),
        Entry("a-17", "a-17-c1", RENEWED, day(t, 7), 21 * k, day(t, -3), HEALTHY),
        Entry("a-18", "a-18-c1", CHURNED, day(t, 12), 11 * k, day(t, -1), CRITICAL),
        Entry("phoenix", "phoenix-c3", UPCOMING, day(t, 10), 30 * k, None, HEALTHY),
        Entry("a-19", "a-19-c1", UPCOMING, day(t, 20), 40 * k, None, HEALTHY),
        Entry("a-20", "a-20-c1", UPCOMING, day(t, 25), 26 * k, None, AT_RISK),
        Entry("a-21", "a-21-c1", UPCOMING, t, 13 * k, None, CRITICAL),
        Entry("a-22", "a-22-c1", UPCOMING, day(t, 70), 50 * k, None, HEALTHY),
        Entry("a-23", "a-23-c1", UPCOMING, day(t, 90), 7 * k, None, CRITICAL),
        Entry("a-24", "a-24-c1", UPCOMING, day(t, 91), 99 * k, None, HEALTHY),
        Entry("a-25", "a-25-c1", CHURNED, day(p1, -1), 77 * k, day(p1, -5), CRITICAL),
    ]


def renewals(today: date) -> list[Renewal]:
    """The history as the KPIs read it: each contract's latest status."""
    return [
        Renewal(
            account_id=e.account_id,
            contract_id=e.contract_id,
            status=e.status,
            renewal_date=e.renewal_date,
            arr=e.arr,
            decided_on=e.decided_on or today,
            band=e.band,
        )
        for e in history(today)
    ]


def _tally(renewals: int, arr_k: float) -> dict[str, float]:
    return {"renewals": renewals, "arr": arr_k * 1000}


def _period(
    due: tuple[int, float],
    renewed: tuple[int, float],
    on_time: tuple[int, float],
    late: tuple[int, float],
    churned: tuple[int, float],
    churned_accounts: int,
    pending: tuple[int, float],
    rate_by_count: float | None,
    rate_by_arr: float | None,
) -> dict[str, Any]:
    return {
        "due": _tally(*due),
        "renewed": _tally(*renewed),
        "renewed_on_time": _tally(*on_time),
        "renewed_late": _tally(*late),
        "churned": _tally(*churned),
        "churned_accounts": churned_accounts,
        "pending": _tally(*pending),
        "renewal_rate_by_count": rate_by_count,
        "renewal_rate_by_arr": rate_by_arr,
    }


NONE = (0, 0.0)
# The previous fiscal year's quarters, this year's first, the current one; worked out by
# hand from the table in history() (arr in thousands).
EXPECTED_QUARTERS = [
    _period((3, 170), (2, 150), (1, 100), (1, 50), (1, 20), 1, NONE, 2 / 3, 150 / 170),
    _period((3, 130), (2, 100), (2, 100), NONE, (1, 30), 1, NONE, 2 / 3, 100 / 130),
    _period((4, 55), (1, 25), (1, 25), NONE, (3, 30), 2, NONE, 1 / 4, 25 / 55),
    _period((3, 92), (2, 80), NONE, (2, 80), (1, 12), 1, NONE, 2 / 3, 80 / 92),
    _period((4, 78), (2, 52), (2, 52), NONE, (1, 8), 1, (1, 18), 2 / 3, 52 / 60),
    _period((9, 180), (2, 37), (1, 21), (1, 16), (2, 20), 2, (5, 123), 2 / 4, 37 / 57),
]
EXPECTED_QUARTER_TO_DATE = _period(
    (4, 52), (1, 16), NONE, (1, 16), (1, 9), 1, (2, 27), 1 / 2, 16 / 25
)
EXPECTED_YEAR_TO_DATE = _period(
    (8, 130), (3, 68), (2, 52), (1, 16), (2, 17), 2, (3, 45), 3 / 5, 68 / 85
)
EXPECTED_FORECAST = {
    "churn_cost_to_date": 9_000.0,
    "churned_ahead": _tally(1, 11),
    "pending": {
        "healthy": {"renewals": 2, "arr": 70_000.0, "churn_probability": 0.05},
        "at_risk": {"renewals": 2, "arr": 44_000.0, "churn_probability": 0.25},
        "critical": {"renewals": 2, "arr": 27_000.0, "churn_probability": 0.5},
    },
    "expected_churn_arr": 11_000 + 3_500 + 11_000 + 13_500,
    "forecast_churn_arr": 9_000 + 39_000,
}
EXPECTED_DUE_SOON = {
    "statuses": {
        "renewed": _tally(1, 21),
        "healthy": _tally(3, 120),
        "at_risk": _tally(1, 26),
        "critical": _tally(2, 20),
        "churned": _tally(1, 11),
    },
    "total": _tally(8, 198),
    "good_health_share": 141 / 198,
    "meets_target": False,
    "overdue": _tally(2, 32),
}


def flat(value: Any, path: str = "") -> dict[str, Any]:
    """Nested dicts and lists as one dict of "a.b.0.c" -> leaf, for pytest.approx."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return {path: value}
    out: dict[str, Any] = {}
    for key, inner in items:
        out.update(flat(inner, f"{path}.{key}" if path else str(key)))
    return out
