"""Naive churn predictors the health score must beat, read from the same account state.

- days since anyone last logged in (higher = riskier);
- mean NPS: the average of each respondent's latest 0-10 answer inside the
  sentiment window ending `now`, unweighted (lower = riskier).

Both are None when the state holds no such data; the backtest decides how to
fill the gap.
"""

from __future__ import annotations

from datetime import datetime

from models.model_config import HealthModel
from models.state import DAY_SECONDS, AccountState
from models.state_records import R_AT, R_SCORE


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
