"""Every eligible renewal outcome seen N days before it, for each horizon N.

What `healthscore backtest` and `healthscore fit` both sample: the outcomes
whose earliest snapshot lies at least `min_history_days` after the history's
first event (earlier ones would score a cold start), each snapshot taken by
the replay (streams/backtest/replay.py) with the population the workers would
keep when the model ranks factors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Generic, TextIO, TypeVar

from models.model_config import HealthModel
from models.population import Population
from models.scoring import ranked_factors
from models.state import AccountState
from streams.backtest.history import Outcome, Scan
from streams.backtest.replay import replay

T = TypeVar("T")
# (outcome, days before it, snapshot moment, the account's state then, the population then)
Record = Callable[[Outcome, int, datetime, AccountState, Population | None], T]


@dataclass(slots=True)
class Snapshots(Generic[T]):
    eligible: list[Outcome]
    # by_horizon[j][i]: outcome i of `eligible` seen days[j] days before it.
    by_horizon: list[list[T]]
    invalid: int
    accounts: int


def eligible_outcomes(found: Scan, days: tuple[int, ...], min_history_days: int) -> list[Outcome]:
    """The outcomes whose earliest snapshot is `min_history_days` into the history."""
    if found.first_at is None:
        return []
    earliest = found.first_at + timedelta(days=min_history_days + max(days))
    return [o for o in found.outcomes if o.at >= earliest]


def take_snapshots(
    path: Path,
    found: Scan,
    model: HealthModel,
    days: tuple[int, ...],
    min_history_days: int,
    record: Record[T],
    progress: TextIO | None = None,
) -> Snapshots[T]:
    """Replay the history once, recording every eligible outcome at every horizon."""
    eligible = eligible_outcomes(found, days, min_history_days)
    # Snapshot key: outcome index * len(days) + position of the horizon in days.
    count = len(days)
    schedule = sorted(
        (o.at - timedelta(days=d), o.account_id, i * count + j)
        for i, o in enumerate(eligible)
        for j, d in enumerate(days)
    )
    population = Population() if ranked_factors(model) else None
    taken: dict[int, T] = {}

    def take(key: int, at: datetime, state: AccountState) -> None:
        index, position = divmod(key, count)
        taken[key] = record(eligible[index], days[position], at, state, population)

    invalid, accounts = replay(path, found, schedule, model, take, progress, population)
    by_horizon = [[taken[i * count + j] for i in range(len(eligible))] for j in range(count)]
    return Snapshots(eligible, by_horizon, invalid, accounts)


def days_silent(since_login: float | None, at: datetime, history_start: datetime | None) -> float:
    """Days since anyone logged in; with no login yet, days since the history began."""
    if since_login is not None:
        return since_login
    if history_start is None:
        return 0.0
    return max(0.0, (at - history_start).total_seconds() / 86_400)
