"""Naive churn predictors the health score must beat, read from the same account state.

- days since anyone last logged in (higher = riskier);
- mean NPS: the average of each respondent's latest 0-10 answer inside the
  sentiment window ending `now`, unweighted (lower = riskier).

Both are None when the state holds no such data; the backtest decides how to
fill the gap.

`behaviour` gives the simple counts a learned baseline (a logistic regression,
fitted outside `models/`) starts from, each over windows ending today: active
user-days over the recent (7 d) and baseline (30 d) windows, distinct users
and distinct features active in the baseline window, days since anyone
logged in (capped at a year; a year when nobody ever did), tickets opened in
the baseline and the support (90 d) window, tickets open now; and, per
feature, whether it was used in the baseline window.
"""

from __future__ import annotations

from datetime import datetime

from models.components.engagement import user_days
from models.model_config import HealthModel
from models.state import DAY_SECONDS, AccountState
from models.state_records import NONE, OPEN_STATUSES, R_AT, R_SCORE, T_OPENED, T_STATUS

NEVER_DAYS = 365.0


def days_since_login(state: AccountState, now: datetime) -> float | None:
    if state.last_login is None:
        return None
    return max(0.0, (now.timestamp() - state.last_login) / DAY_SECONDS)


def mean_nps(state: AccountState, now: datetime, model: HealthModel) -> float | None:
    today = int(now.timestamp()) // DAY_SECONDS
    start = (today - model.windows.sentiment + 1) * DAY_SECONDS
    end = now.timestamp()
    answers = [r[R_SCORE] for r in state.respondents.values() if start <= r[R_AT] < end]
    return sum(answers) / len(answers) if answers else None


def behaviour(state: AccountState, now: datetime, model: HealthModel) -> dict[str, float]:
    """Simple behavioural counts of the account as of `now` (see the module docstring)."""
    today = int(now.timestamp()) // DAY_SECONDS
    recent, baseline = model.windows.recent, model.windows.baseline
    counted = user_days(state.users, today, recent, baseline)
    silence = days_since_login(state, now)
    baseline_start = (today - baseline + 1) * DAY_SECONDS
    support_start = (today - model.windows.support + 1) * DAY_SECONDS
    opened = [r[T_OPENED] for r in state.tickets.values() if r[T_OPENED] != NONE]
    return {
        "user_days_7d": float(counted.recent),
        "user_days_30d": float(counted.baseline),
        "active_users_30d": float(counted.monthly_users),
        "features_30d": float(len(features_used(state, now, model))),
        "days_since_login": min(NEVER_DAYS, silence) if silence is not None else NEVER_DAYS,
        "tickets_opened_30d": float(sum(1 for at in opened if at >= baseline_start)),
        "tickets_opened_90d": float(sum(1 for at in opened if at >= support_start)),
        "open_tickets": float(
            sum(1 for r in state.tickets.values() if r[T_STATUS] in OPEN_STATUSES)
        ),
    }


def features_used(state: AccountState, now: datetime, model: HealthModel) -> list[str]:
    """The features used in the baseline window ending today, sorted."""
    today = int(now.timestamp()) // DAY_SECONDS
    baseline = model.windows.baseline
    return sorted(f for f, day in state.features.items() if today - day < baseline)
