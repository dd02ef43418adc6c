"""`healthscore backtest`: did the score, N days before each renewal outcome, predict churn?

The history (see streams/demo_history.py for the format) is replayed in
`occurred_at` order through the workers' own pure code (`apply_event`,
`score`). For each renewal outcome and each horizon N, a snapshot is
scheduled at outcome time - N days and taken when the replay clock reaches
it, before any event at or after that moment is applied: the score sees
exactly what a worker would have known then, scored with `now` = that moment.

Classes: `churned` is the positive class, `renewed` and `expanded` the
negative one. `contracted` is ambiguous — the logo stays, revenue leaves, and
the demo contracts exactly the accounts in poor health — so by default
(`contracted="separate"`) contractions are left out of AUC, precision@k and
lift and their scores reported on their own; "retained" or "churn" put them in
either class instead.

Every horizon evaluates the same outcomes: those whose earliest snapshot lies
at least `min_history_days` after the history's first event (earlier ones
would score a cold start, not the account). Predictors, as risks (higher =
more likely to churn): 100 - health score; days since the last login (no
login yet: the days since the history began); mean NPS, negated (no answer in
the window: the median of the other samples at that horizon).
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal, TextIO

from models.backtest_baselines import days_since_login, mean_nps
from models.backtest_metrics import Ranking, ranking
from models.events import RenewalStatus
from models.model_config import HealthModel
from models.scoring import score
from models.state import AccountState
from streams.backtest_history import Outcome, scan
from streams.backtest_replay import replay

PREDICTORS = ("health_score", "days_since_login", "nps")
Contracted = Literal["separate", "retained", "churn"]


@dataclass(frozen=True, slots=True)
class BacktestOptions:
    days: tuple[int, ...] = (60, 90)
    k: int | None = None  # None: the number of churners
    contracted: Contracted = "separate"
    min_history_days: int = 30


@dataclass(frozen=True, slots=True)
class Sample:
    """One outcome seen from `days` days before it."""

    account_id: str
    contract_id: str
    status: str
    outcome_at: datetime
    days: int
    churned: bool | None  # None: not compared (a contraction, by default)
    score: float
    band: str
    confidence: float
    days_since_login: float
    ever_logged_in: bool
    nps: float | None


@dataclass(slots=True)
class Horizon:
    days: int
    samples: list[Sample]  # every evaluated outcome, compared or not
    compared: int
    rankings: dict[str, Ranking]
    base_rate: float | None
    imputed: dict[str, int]


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
    found = scan(path)
    result = BacktestResult(str(path), model.version, options, lines=found.lines)
    result.first_at, result.last_at = found.first_at, found.last_at
    result.outcomes = Counter(o.status.value for o in found.outcomes)
    eligible: list[Outcome] = []
    if found.first_at is not None:
        earliest = found.first_at + timedelta(days=options.min_history_days + max(options.days))
        eligible = [o for o in found.outcomes if o.at >= earliest]
    result.evaluated = len(eligible)
    # Snapshot key: outcome index * len(days) + position of the horizon in days.
    count = len(options.days)
    schedule = sorted(
        (o.at - timedelta(days=d), o.account_id, i * count + j)
        for i, o in enumerate(eligible)
        for j, d in enumerate(options.days)
    )
    snapshots: dict[int, Sample] = {}
    history_start = found.first_at

    def take(key: int, at: datetime, state: AccountState) -> None:
        index, position = divmod(key, count)
        days = options.days[position]
        snapshots[key] = _sample(eligible[index], days, at, state, model, history_start)

    result.invalid, result.accounts = replay(path, found, schedule, model, take, progress)
    for position, days in enumerate(options.days):
        samples = [snapshots[i * count + position] for i in range(len(eligible))]
        result.horizons.append(_evaluate(days, samples, options))
    result.seconds = time.monotonic() - started
    return result


def is_churn(status: RenewalStatus, contracted: Contracted) -> bool | None:
    """The class of an outcome: True = churn, False = retained, None = not compared."""
    if status is RenewalStatus.CONTRACTED:
        return None if contracted == "separate" else contracted == "churn"
    return status is RenewalStatus.CHURNED


def _sample(
    outcome: Outcome,
    days: int,
    at: datetime,
    state: AccountState,
    model: HealthModel,
    history_start: datetime | None,
) -> Sample:
    health = score(state, at, model)
    silence = days_since_login(state, at)
    since_start = (at - history_start).total_seconds() / 86_400 if history_start else 0.0
    return Sample(
        account_id=outcome.account_id,
        contract_id=outcome.contract_id,
        status=outcome.status.value,
        outcome_at=outcome.at,
        days=days,
        churned=False,  # set by _evaluate, which knows the options
        score=health.score,
        band=health.band.value,
        confidence=health.confidence,
        days_since_login=silence if silence is not None else max(0.0, since_start),
        ever_logged_in=silence is not None,
        nps=mean_nps(state, at, model),
    )


def _evaluate(days: int, samples: list[Sample], options: BacktestOptions) -> Horizon:
    labelled = [
        replace(s, churned=is_churn(RenewalStatus(s.status), options.contracted)) for s in samples
    ]
    compared = [s for s in labelled if s.churned is not None]
    known_nps = [s.nps for s in compared if s.nps is not None]
    fill_nps = statistics.median(known_nps) if known_nps else 0.0
    risks: dict[str, Callable[[Sample], float]] = {
        "health_score": lambda s: 100.0 - s.score,
        "days_since_login": lambda s: s.days_since_login,
        "nps": lambda s: -(s.nps if s.nps is not None else fill_nps),
    }
    rankings = {
        name: ranking([(risk(s), s.churned is True) for s in compared], options.k)
        for name, risk in risks.items()
    }
    churners = sum(1 for s in compared if s.churned)
    return Horizon(
        days=days,
        samples=labelled,
        compared=len(compared),
        rankings=rankings,
        base_rate=churners / len(compared) if compared else None,
        imputed={
            "days_since_login": sum(1 for s in compared if not s.ever_logged_in),
            "nps": len(compared) - len(known_nps),
        },
    )
