"""The scoring model: weights, windows, curves, bands, role weights and stage overrides.

The model is data (a YAML file, `HS_MODEL`; `default_model.yaml` when unset),
validated here once at start-up. Scoring reads the resolved per-stage weights
precomputed below, so nothing is re-derived per score.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, PrivateAttr, model_validator

from models.alerting.rules import AlertRules
from models.events import LifecycleStage
from models.exceptions import ModelError
from models.growth.settings import GrowthSettings
from models.health import Band
from models.lifecycle.rules import LifecycleRules
from models.model_parts import ComponentName, Components, Strict, Weight
from models.renewals.settings import RenewalSettings
from models.yaml_errors import read_yaml_file

DEFAULT_MODEL_PATH = Path(__file__).with_name("default_model.yaml")

# Login activity per user is a bitmask of days, kept in one 64-bit JSON integer.
MAX_BASELINE_DAYS = 62

Score = Annotated[float, Field(ge=0, le=100)]


class Windows(Strict):
    """Rolling windows, in days of event time ending today (UTC)."""

    recent: Annotated[int, Field(ge=1, le=MAX_BASELINE_DAYS)] = 7
    baseline: Annotated[int, Field(ge=2, le=MAX_BASELINE_DAYS)] = 30
    support: Annotated[int, Field(ge=1, le=730)] = 90
    sentiment: Annotated[int, Field(ge=1, le=730)] = 180

    @model_validator(mode="after")
    def _recent_inside_baseline(self) -> Windows:
        if self.recent >= self.baseline:
            raise ValueError(f"recent ({self.recent}) must be shorter than baseline")
        return self

    @cached_property
    def longest(self) -> int:
        return max(self.recent, self.baseline, self.support, self.sentiment)


class Bands(Strict):
    """Lower edges: score ≥ healthy is healthy, ≥ at_risk is at_risk, else critical."""

    healthy: Score = 70
    at_risk: Score = 40

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if self.at_risk >= self.healthy:
            raise ValueError(f"at_risk ({self.at_risk}) must be below healthy ({self.healthy})")
        return self

    def band(self, score: float) -> Band:
        if score >= self.healthy:
            return Band.HEALTHY
        return Band.AT_RISK if score >= self.at_risk else Band.CRITICAL


class Limits(Strict):
    """Caps that keep one account's state bounded however many events arrive."""

    max_users: Annotated[int, Field(ge=10)] = 2000
    max_features: Annotated[int, Field(ge=1)] = 100
    max_tickets: Annotated[int, Field(ge=10)] = 500
    max_respondents: Annotated[int, Field(ge=10)] = 500
    max_contracts: Annotated[int, Field(ge=1)] = 50
    # Contract outcomes the lifecycle remembers (never pruned by the windows).
    max_outcomes: Annotated[int, Field(ge=1)] = 50
    event_ids_per_day: Annotated[int, Field(ge=0, le=10_000)] = 128


class DriverSettings(Strict):
    negative: Annotated[int, Field(ge=0, le=10)] = 3
    positive: Annotated[int, Field(ge=0, le=10)] = 2
    # Contributions smaller than this many points are not worth a CSM's attention.
    min_impact: Annotated[float, Field(ge=0)] = 0.5


class PopulationSettings(Strict):
    """When a factor with a percentile_curve is ranked, and against whom."""

    # A segment with fewer accounts that have the factor is ranked against all
    # accounts; with fewer than this in all, the factor's absolute curve scores.
    min_accounts: Annotated[int, Field(ge=1)] = 30


class StageOverride(Strict):
    """What a lifecycle stage changes; anything left out keeps the base value."""

    weights: dict[ComponentName, Weight] = Field(default_factory=dict)
    factor_weights: dict[ComponentName, dict[str, Weight]] = Field(default_factory=dict)
    bands: Bands | None = None


@dataclass(frozen=True, slots=True)
class Resolved:
    """Effective weights and bands for one lifecycle stage (None = no stage)."""

    weights: dict[ComponentName, float]
    factor_weights: dict[ComponentName, dict[str, float]]
    bands: Bands


class HealthModel(Strict):
    version: Annotated[str, Field(min_length=1, max_length=64)]
    description: str = ""
    # The score with no data at all, and the reference every driver's impact is measured from.
    neutral_score: Score = 50
    windows: Windows = Windows()
    bands: Bands = Bands()
    components: Components
    stages: dict[LifecycleStage, StageOverride] = Field(default_factory=dict)
    limits: Limits = Limits()
    drivers: DriverSettings = DriverSettings()
    population: PopulationSettings = PopulationSettings()
    alerts: AlertRules = AlertRules()
    lifecycle: LifecycleRules = LifecycleRules()
    # When an account is an expansion candidate (Health.growth, models.growth).
    growth: GrowthSettings = GrowthSettings()
    # How renewal KPIs are counted; scores never read it.
    renewals: RenewalSettings = RenewalSettings()

    _resolved: dict[str | None, Resolved] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _overrides_name_known_factors(self) -> HealthModel:
        tables = self.components.factor_tables()
        for stage, override in self.stages.items():
            for component, factors in override.factor_weights.items():
                unknown = sorted(set(factors) - set(tables[component]))
                if unknown:
                    raise ValueError(
                        f"stages.{stage.value}.factor_weights.{component.value}: unknown "
                        f"factor {', '.join(unknown)} (known: {', '.join(tables[component])})"
                    )
        for stage_key in [None, *self.stages]:
            if sum(self._resolve(stage_key).weights.values()) <= 0:
                where = f"stage {stage_key}" if stage_key else "the base model"
                raise ValueError(f"component weights of {where} add up to 0")
        return self

    def model_post_init(self, __context: object) -> None:
        self._resolved[None] = self._resolve(None)
        for stage in self.stages:
            self._resolved[stage.value] = self._resolve(stage)

    @cached_property
    def longest_window_days(self) -> int:
        return self.windows.longest

    def resolved(self, stage: str | None) -> Resolved:
        """Effective weights and bands for a lifecycle stage (unknown stage → the base)."""
        found = self._resolved.get(stage)
        return found if found is not None else self._resolved[None]

    def _resolve(self, stage: LifecycleStage | None) -> Resolved:
        override = self.stages.get(stage) if stage is not None else None
        weights = dict(self.components.weights())
        factor_weights = {
            component: {name: factor.weight for name, factor in factors.items()}
            for component, factors in self.components.factor_tables().items()
        }
        bands = self.bands
        if override is not None:
            weights.update(override.weights)
            for component, factors in override.factor_weights.items():
                factor_weights[component].update(factors)
            bands = override.bands or bands
        return Resolved(weights, factor_weights, bands)


def load_model(path: str | None = None) -> HealthModel:
    """Read and validate a model file (None = the default model shipped in the package).

    Raises ModelError listing every problem with its line and field.
    """
    model, problems = read_yaml_file(str(path or DEFAULT_MODEL_PATH), HealthModel)
    if model is None:
        raise ModelError(problems)
    return model


def check_model_file(path: str) -> list[str]:
    """Every problem in a model file as `FILE:LINE: field: message`; empty when it is valid."""
    return read_yaml_file(path, HealthModel)[1]
