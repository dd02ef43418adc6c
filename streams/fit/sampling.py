"""What the fitter learns from: each renewal outcome seen N days before it, as the worker saw it.

The history is replayed exactly as `healthscore backtest` replays it
(streams/backtest/replay.py, with the population when the base model ranks
factors): a snapshot at outcome time - N days sees only the events before
that moment. The outcomes, the horizons and "too little data" are the
backtest's (streams/backtest/run.py, samples.py).

A `FitSample` records, per factor with data, what it measured (the x of its
`curve`), its rank among its segment's accounts when the base model ranks it
(the x of its `percentile_curve`) and the value the base model gave it; the
features the account used in the baseline and in the recent window; the base
model's score; and the inputs of the baselines (days since the last login, the
behavioural counts of the logistic regression). That is all a candidate model
needs to be scored again (streams/fit/rescore.py) without another replay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple, TextIO

from models.backtest.baselines import behaviour, days_since_login
from models.model_config import HealthModel
from models.population import Population
from models.scoring import score, signals
from models.state import DAY_SECONDS, AccountState
from streams.backtest.history import Outcome, scan
from streams.backtest.samples import BacktestOptions, is_churn, min_confidence
from streams.backtest.snapshots import days_silent, take_snapshots
from streams.fit.exceptions import FitError


class Reading(NamedTuple):
    """One factor at one snapshot."""

    measure: float | None  # the curve's x (None: a fixed value, e.g. a churned contract)
    rank: float | None  # the percentile curve's x, when the factor was ranked
    value: float  # what the base model made of it (0-100)


@dataclass(frozen=True, slots=True)
class FitSample:
    account_id: str
    contract_id: str
    outcome_at: datetime
    snapshot_at: datetime
    days: int
    churned: bool | None  # None: not compared (a contraction, by default)
    enough_data: bool  # the base model's confidence reached min_confidence
    base_score: float
    readings: Mapping[str, Reading]  # "component.factor" -> reading, factors with data
    features_baseline: frozenset[str]  # features used in the baseline window
    features_recent: frozenset[str]  # features used in the recent window
    days_since_login: float
    behaviour: Mapping[str, float]

    @property
    def engaged(self) -> bool:
        """Whether the engagement component had data (the key/risk feature factors need it)."""
        return any(key.startswith("engagement.") for key in self.readings)


@dataclass(slots=True)
class Collected:
    samples: list[FitSample]
    outcomes: int  # outcomes in the history
    evaluated: int  # outcomes late enough to be sampled at every horizon
    lines: int
    invalid: int
    accounts: int
    first_at: datetime | None


def _features(state: AccountState, now: datetime, days: int) -> frozenset[str]:
    today = int(now.timestamp()) // DAY_SECONDS
    return frozenset(f for f, day in state.features.items() if today - day < days)


def record(
    outcome: Outcome,
    days: int,
    at: datetime,
    state: AccountState,
    model: HealthModel,
    options: BacktestOptions,
    history_start: datetime | None,
    population: Population | None = None,
) -> FitSample:
    """One outcome seen from `at` (= its time - `days`), read from the account's state."""
    health = score(state, at, model, population)
    readings = {
        f"{s.component.value}.{s.factor}": Reading(
            s.measure, s.standing.rank if s.standing is not None else None, s.value
        )
        for s in signals(state, at, model, population)
    }
    return FitSample(
        account_id=outcome.account_id,
        contract_id=outcome.contract_id,
        outcome_at=outcome.at,
        snapshot_at=at,
        days=days,
        churned=is_churn(outcome.status, options.contracted),
        enough_data=health.confidence >= min_confidence(options, model),
        base_score=health.score,
        readings=readings,
        features_baseline=_features(state, at, model.windows.baseline),
        features_recent=_features(state, at, model.windows.recent),
        days_since_login=days_silent(days_since_login(state, at), at, history_start),
        behaviour=behaviour(state, at, model),
    )


def collect(
    path: Path, model: HealthModel, options: BacktestOptions, progress: TextIO | None = None
) -> Collected:
    """Every eligible outcome of the history at every horizon of `options.days`."""
    found = scan(path)
    if found.first_at is None:
        raise FitError(f"{path} holds no valid event")

    def take(
        outcome: Outcome,
        days: int,
        at: datetime,
        state: AccountState,
        population: Population | None,
    ) -> FitSample:
        return record(outcome, days, at, state, model, options, found.first_at, population)

    taken = take_snapshots(
        path, found, model, options.days, options.min_history_days, take, progress
    )
    # Outcome by outcome, each at every horizon in turn.
    by_outcome = zip(*taken.by_horizon, strict=True)
    return Collected(
        samples=[sample for horizons in by_outcome for sample in horizons],
        outcomes=len(found.outcomes),
        evaluated=len(taken.eligible),
        lines=found.lines,
        invalid=taken.invalid,
        accounts=taken.accounts,
        first_at=found.first_at,
    )
