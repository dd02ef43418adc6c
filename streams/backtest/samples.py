"""What the backtest records of one renewal outcome, seen N days before it.

A `Sample` holds everything every predictor needs, read from the account's
state at the snapshot moment with the workers' pure code: the health score,
band and confidence, each component and each factor's own value
(`models.scoring.signals`) and what it measured, and the baselines' inputs
(`models.backtest.baselines`).

Too little data: a sample whose confidence (the share of the model's component
weight that had any data) is below `min_confidence` — by default the model's
own `alerts.min_confidence` (0.25), the line below which a score raises no
alert: e.g. only a profile, or only survey answers — is reported apart, never
ranked among the others. Its score is mostly the neutral default, not a
judgement of the account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from models.backtest.baselines import behaviour, days_since_login, features_used, mean_nps
from models.events import RenewalStatus
from models.experience.figures import nps_by_persona
from models.model_config import HealthModel
from models.population import Population
from models.scoring import score, signals
from models.state import AccountState
from streams.backtest.history import Outcome
from streams.backtest.snapshots import days_silent

Contracted = Literal["separate", "retained", "churn"]


@dataclass(frozen=True, slots=True)
class BacktestOptions:
    days: tuple[int, ...] = (30, 60, 90)
    k: int | None = None  # None: the number of churners
    contracted: Contracted = "separate"
    min_history_days: int = 30
    min_confidence: float | None = None  # None: the model's alerts.min_confidence
    resamples: int = 1000  # bootstrap resamples per horizon
    seed: int = 0
    refit_days: int = 30  # the learned baseline is refitted this often (out of time)


@dataclass(frozen=True, slots=True)
class Sample:
    """One outcome seen from `days` days before it."""

    account_id: str
    contract_id: str
    status: str
    outcome_at: datetime
    snapshot_at: datetime
    days: int
    churned: bool | None  # None: not compared (a contraction, by default)
    score: float
    band: str
    confidence: float
    enough_data: bool  # confidence >= min_confidence
    components: dict[str, float | None]
    factors: dict[str, float]  # "component.factor" -> 0-100, factors with data only
    measures: dict[str, float]  # "component.factor" -> what it measured (the curve's x)
    days_since_login: float
    ever_logged_in: bool
    nps: float | None
    # Standard NPS per role with answers (and "all": every answer), latest answer per
    # respondent in the sentiment window (models.experience).
    role_nps: dict[str, float]
    behaviour: dict[str, float]
    features_used: list[str]


def min_confidence(options: BacktestOptions, model: HealthModel) -> float:
    """The confidence below which an outcome has too little data to be ranked."""
    if options.min_confidence is not None:
        return options.min_confidence
    return model.alerts.min_confidence


def is_churn(status: RenewalStatus, contracted: Contracted) -> bool | None:
    """The class of an outcome: True = churn, False = retained, None = not compared."""
    if status is RenewalStatus.CONTRACTED:
        return None if contracted == "separate" else contracted == "churn"
    return status is RenewalStatus.CHURNED


def take_sample(
    outcome: Outcome,
    days: int,
    at: datetime,
    state: AccountState,
    model: HealthModel,
    history_start: datetime | None,
    options: BacktestOptions,
    population: Population | None = None,
) -> Sample:
    health = score(state, at, model, population)
    factors = signals(state, at, model, population)
    silence = days_since_login(state, at)
    return Sample(
        account_id=outcome.account_id,
        contract_id=outcome.contract_id,
        status=outcome.status.value,
        outcome_at=outcome.at,
        snapshot_at=at,
        days=days,
        churned=is_churn(outcome.status, options.contracted),
        score=health.score,
        band=health.band.value,
        confidence=health.confidence,
        enough_data=health.confidence >= min_confidence(options, model),
        components=dict(health.components),
        factors={f"{s.component.value}.{s.factor}": s.value for s in factors},
        measures={
            f"{s.component.value}.{s.factor}": s.measure for s in factors if s.measure is not None
        },
        days_since_login=days_silent(silence, at, history_start),
        ever_logged_in=silence is not None,
        nps=mean_nps(state, at, model),
        role_nps={} if health.experience is None else nps_by_persona(health.experience),
        behaviour=behaviour(state, at, model),
        features_used=features_used(state, at, model),
    )
