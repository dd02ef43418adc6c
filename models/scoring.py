"""Score an account: components, the weighted total, confidence and drivers.

    component = Σ factor_weight · factor_value / Σ factor_weight   (factors with data)
    score     = Σ component_weight · component / Σ component_weight (components with data)

Weights are the model's, after the account's lifecycle-stage overrides.
A component or factor without data is left out and the rest re-weighted;
`confidence` is the share of the total component weight that had data. With
no data at all the score is the model's `neutral_score` (50 by default) with
confidence 0.

Each factor's driver impact is the points it moves the score away from the
neutral score: (component weight share) * (factor weight share within the
component) * (value - neutral). The impacts of all factors add up to
score - neutral_score, so "-8.5" means the score would be 8.5 points higher
had that factor been neutral.

The score depends on `now` as well as on the state (days since the last login,
ticket ages, days to renewal, windows ending today), so re-scoring an
unchanged state later lets silence show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter, itemgetter

from models.components import (
    Context,
    Signal,
    commercial_signals,
    engagement_signals,
    sentiment_signals,
    support_signals,
)
from models.events import AccountProfile
from models.experience.derive import account_experience
from models.growth.signals import assess_growth
from models.health import PROFILE_FIELDS, Health
from models.lifecycle.derive import account_lifecycle
from models.model_config import Bands, HealthModel, Resolved
from models.model_parts import ComponentName
from models.population import Population
from models.renewals.contracts import known_contracts
from models.state import DAY_SECONDS, AccountState

# A factor's driver candidate: (points it moves the score, driver code, signal, component).
_Impact = tuple[float, str, Signal, str]

_SIGNALS = {
    ComponentName.ENGAGEMENT: engagement_signals,
    ComponentName.SUPPORT: support_signals,
    ComponentName.SENTIMENT: sentiment_signals,
    ComponentName.COMMERCIAL: commercial_signals,
}


@dataclass(frozen=True, slots=True)
class _Component:
    """A component as one lifecycle stage weighs it."""

    label: str  # its name as a plain str, for Health.components and Driver.component
    signals: Callable[[AccountState, Context], list[Signal]]
    weight: float
    factor_weights: dict[str, float]


@dataclass(frozen=True, slots=True)
class _Stage:
    """What scoring needs of one lifecycle stage, looked up once per model."""

    components: tuple[_Component, ...]
    total_weight: float
    bands: Bands


def _stage(resolved: Resolved) -> _Stage:
    components = tuple(
        _Component(name.value, signals, resolved.weights[name], resolved.factor_weights[name])
        for name, signals in _SIGNALS.items()
    )
    total_weight = 0.0
    for component in components:  # summed in this order, as the score sums them
        total_weight += component.weight
    return _Stage(components, total_weight, resolved.bands)


class _Plan:
    """A model's stages, ready to score with (models are immutable, so it never goes stale)."""

    def __init__(self, model: HealthModel) -> None:
        self.model = model
        self.base = _stage(model.resolved(None))
        self.stages = {stage.value: _stage(model.resolved(stage.value)) for stage in model.stages}
        # "component.factor" of every factor scored against the population.
        self.ranked = frozenset(
            f"{component.value}.{name}"
            for component, factors in model.components.factor_tables().items()
            for name, factor in factors.items()
            if factor.percentile_curve is not None
        )
        # The components those factors belong to: the only ones ranked_measures reads.
        self.ranked_components = tuple(
            component
            for component, factors in model.components.factor_tables().items()
            if any(factor.percentile_curve is not None for factor in factors.values())
        )

    def stage(self, name: str | None) -> _Stage:
        """The stage's weights and bands (no or an unknown stage: the base model's)."""
        return self.stages.get(name, self.base) if name is not None else self.base


# By id(model); a plan holds its model, so the id is not reused while the plan is here.
_PLANS: dict[int, _Plan] = {}


def _plan(model: HealthModel) -> _Plan:
    plan = _PLANS.get(id(model))
    if plan is None or plan.model is not model:
        if len(_PLANS) >= 64:  # models built on the fly (tests, backtests) must not pile up
            _PLANS.clear()
        plan = _PLANS[id(model)] = _Plan(model)
    return plan


def _context(
    state: AccountState, now: datetime, model: HealthModel, population: Population | None
) -> Context:
    seconds = int(now.timestamp())
    segment = state.profile.segment if state.profile is not None else None
    return Context(model, seconds, seconds // DAY_SECONDS, population, segment)


def score(
    state: AccountState, now: datetime, model: HealthModel, population: Population | None = None
) -> Health:
    """The health of the account in `state` as of `now` (pure: no I/O, no mutation).

    Factors with a percentile curve are ranked in `population` (read only);
    without one they score on their absolute curves.
    """
    return _score(state, now, model, population, None)


def score_with_measures(
    state: AccountState, now: datetime, model: HealthModel, population: Population | None = None
) -> tuple[Health, dict[str, float]]:
    """`score`, and what `ranked_measures` gives, from the one evaluation of the signals."""
    measures: dict[str, float] = {}
    return _score(state, now, model, population, measures), measures


def _score(
    state: AccountState,
    now: datetime,
    model: HealthModel,
    population: Population | None,
    measures: dict[str, float] | None,
) -> Health:
    """`score`; the ranked factors' measures are added to `measures` when one is given."""
    ctx = _context(state, now, model, population)
    profile = state.profile
    plan = _plan(model)
    stage = plan.stage(profile.lifecycle_stage if profile is not None else None)
    neutral = model.neutral_score
    ranked = plan.ranked
    collect = measures if ranked else None

    components: dict[str, float | None] = {}
    # Per component with data: its weight, its name and its signals with in-component shares.
    present: list[tuple[float, str, list[tuple[Signal, float]]]] = []
    covered_weight = weighted_sum = 0.0
    for component in stage.components:
        label, weight, factor_weights = component.label, component.weight, component.factor_weights
        signals = component.signals(state, ctx)
        if collect is not None:
            _add_ranked(signals, ranked, collect)
        factor_total = sum([factor_weights[s.factor] for s in signals])
        if factor_total <= 0:  # no signals, or only weightless ones
            components[label] = None
            continue
        shares = [(s, factor_weights[s.factor] / factor_total) for s in signals]
        value = sum([s.value * share for s, share in shares])
        components[label] = round(value, 1)
        if weight > 0:
            covered_weight += weight
            weighted_sum += weight * value
            present.append((weight, label, shares))

    if covered_weight > 0:
        total = weighted_sum / covered_weight
        impacts: list[_Impact] = [
            (
                weight / covered_weight * share * (signal.value - neutral),
                signal.driver_code,
                signal,
                label,
            )
            for weight, label, shares in present
            for signal, share in shares
        ]
    else:
        total, impacts = neutral, []
    total = min(100.0, max(0.0, round(total, 1)))
    total_weight = stage.total_weight
    band = stage.bands.band(total)
    lifecycle = account_lifecycle(state, model.lifecycle)
    activity = ctx.activity(state)  # counted already when engagement had logins
    # Validated from plain data: cheaper than building each Driver model first.
    return Health.model_validate(
        {
            "account_id": state.account_id,
            "score": total,
            "band": band,
            "components": components,
            "drivers": _drivers(impacts, model),
            "confidence": round(covered_weight / total_weight, 3) if total_weight > 0 else 0.0,
            "updated_at": now,
            "model_version": model.version,
            "state_version": state.state_version,
            **_profile_fields(profile),
            "last_event_at": state.last_event_at,
            "lifecycle": lifecycle,
            "contracts": known_contracts(state),
            "experience": account_experience(state, ctx.today, model.windows, activity),
            "growth": assess_growth(
                state,
                ctx.now,
                model.growth,
                model.windows.sentiment,
                band,
                lifecycle.churned,
                activity,
            ),
        }
    )


def signals(
    state: AccountState, now: datetime, model: HealthModel, population: Population | None = None
) -> list[Signal]:
    """Every factor's signal as of `now` (factors without data have none)."""
    ctx = _context(state, now, model, population)
    return [signal for of_component in _SIGNALS.values() for signal in of_component(state, ctx)]


def factor_values(
    state: AccountState, now: datetime, model: HealthModel, population: Population | None = None
) -> dict[str, float]:
    """Each factor's own 0-100 value as of `now`, keyed "component.factor".

    The values `score` weighs, read one by one (e.g. to ask how well a single
    factor predicts churn); a factor without data is absent.
    """
    return {
        f"{signal.component.value}.{signal.factor}": signal.value
        for signal in signals(state, now, model, population)
    }


def _add_ranked(signals: list[Signal], ranked: frozenset[str], measures: dict[str, float]) -> None:
    for signal in signals:
        key = signal.component + "." + signal.factor
        if key in ranked and signal.measure is not None:
            measures[key] = signal.measure


def ranked_factors(model: HealthModel) -> frozenset[str]:
    """The "component.factor" keys the model scores against the population."""
    return _plan(model).ranked


def ranked_measures(state: AccountState, now: datetime, model: HealthModel) -> dict[str, float]:
    """What the account adds to the population: the measure of each factor that
    has data and a percentile curve, keyed "component.factor" (only the
    components holding such factors are evaluated). `score_with_measures`
    gives the same along with the score."""
    plan = _plan(model)
    ranked = plan.ranked
    if not ranked:
        return {}
    ctx = _context(state, now, model, None)
    return {
        key: signal.measure
        for component in plan.ranked_components
        for signal in _SIGNALS[component](state, ctx)
        if (key := signal.component + "." + signal.factor) in ranked and signal.measure is not None
    }


_NO_PROFILE = dict.fromkeys(PROFILE_FIELDS)
_profile_values = attrgetter(*PROFILE_FIELDS)


def _profile_fields(profile: AccountProfile | None) -> dict[str, object]:
    """The profile fields a Health copies (all None without a profile)."""
    if profile is None:
        return _NO_PROFILE
    return dict(zip(PROFILE_FIELDS, _profile_values(profile), strict=True))


def _drivers(impacts: list[_Impact], model: HealthModel) -> list[dict[str, object]]:
    """The largest negative contributions (worst first), then the largest positive ones."""
    settings = model.drivers
    ranked = sorted(impacts, key=itemgetter(0, 1))  # by points, then code
    least = settings.min_impact
    negative = [i for i in ranked if i[0] <= -least][: settings.negative]
    positive = [i for i in reversed(ranked) if i[0] >= least][: settings.positive]
    return [
        {"code": code, "text": signal.text, "impact": round(points, 1), "component": component}
        for points, code, signal, component in negative + positive
    ]
