"""`healthscore backtest`: did the score, N days before each renewal outcome, predict churn?

The history (see streams/demo/history.py for the format) is replayed in
`occurred_at` order through the workers' own pure code (`apply_events`,
`score`; streams/backtest/replay.py). For each renewal outcome and each
horizon N, a snapshot is scheduled at outcome time - N days and taken when the
replay clock reaches it, before any event at or after that moment is applied:
the score sees exactly what a worker would have known then, scored with `now`
= that moment (streams/backtest/samples.py says what a snapshot records).

Classes: `churned` is the positive class, `renewed` and `expanded` the
negative one. `contracted` is ambiguous — the logo stays, revenue leaves, and
the demo contracts exactly the accounts in poor health — so by default
(`contracted="separate"`) contractions are left out of every ranking and
their scores reported on their own; "retained" or "churn" put them in either
class instead.

Every horizon evaluates the same outcomes: those whose earliest snapshot lies
at least `min_history_days` after the history's first event (earlier ones
would score a cold start, not the account). streams/backtest/evaluate.py
turns each horizon's samples into figures.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TextIO

from models.model_config import HealthModel
from models.population import Population
from models.state import AccountState
from streams.backtest.evaluate import Horizon, evaluate
from streams.backtest.history import Outcome, scan
from streams.backtest.samples import BacktestOptions, Sample, min_confidence, take_sample
from streams.backtest.snapshots import take_snapshots


@dataclass(slots=True)
class BacktestResult:
    history: str
    model_version: str
    options: BacktestOptions
    lines: int = 0
    invalid: int = 0
    accounts: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    outcomes: Counter[str] = field(default_factory=Counter)
    evaluated: int = 0
    horizons: list[Horizon] = field(default_factory=list)
    seconds: float = 0.0


def run_backtest(
    path: Path, model: HealthModel, options: BacktestOptions, progress: TextIO | None = None
) -> BacktestResult:
    started = time.monotonic()
    if not options.days or min(options.days) < 1:
        raise ValueError("every horizon must be at least 1 day")
    options = replace(options, min_confidence=min_confidence(options, model))
    found = scan(path)
    result = BacktestResult(str(path), model.version, options, lines=found.lines)
    result.first_at, result.last_at = found.first_at, found.last_at
    result.outcomes = Counter(o.status.value for o in found.outcomes)

    def record(
        outcome: Outcome,
        days: int,
        at: datetime,
        state: AccountState,
        population: Population | None,
    ) -> Sample:
        return take_sample(outcome, days, at, state, model, found.first_at, options, population)

    taken = take_snapshots(
        path, found, model, options.days, options.min_history_days, record, progress
    )
    result.evaluated = len(taken.eligible)
    result.invalid, result.accounts = taken.invalid, taken.accounts
    for days, samples in zip(options.days, taken.by_horizon, strict=True):
        result.horizons.append(evaluate(days, samples, options))
    result.seconds = time.monotonic() - started
    return result
