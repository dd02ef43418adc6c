"""Building blocks of the scoring model file: curves, factors and component settings."""

from __future__ import annotations

from enum import StrEnum
from itertools import pairwise
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

from models.events import Role, TicketPriority

Weight = Annotated[float, Field(ge=0, le=1000)]


class ComponentName(StrEnum):
    ENGAGEMENT = "engagement"
    SUPPORT = "support"
    SENTIMENT = "sentiment"
    COMMERCIAL = "commercial"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Curve(RootModel[list[tuple[float, float]]]):
    """A piecewise-linear function given by `[x, y]` breakpoints, flat beyond both ends."""

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="after")
    def _ascending(self) -> Curve:
        points = self.root
        if len(points) < 2:
            raise ValueError("a curve needs at least two [x, y] points")
        for (x0, _), (x1, _) in pairwise(points):
            if x1 <= x0:
                raise ValueError(f"x values must increase strictly ({x0} then {x1})")
        return self

    def at(self, x: float) -> float:
        points = self.root
        if x <= points[0][0]:
            return points[0][1]
        for (x0, y0), (x1, y1) in pairwise(points):
            if x <= x1:
                return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        return points[-1][1]


class Factor(Strict):
    """One measured signal inside a component: its weight and value → 0-100 curve.

    With a `percentile_curve` the factor is scored against the population: the
    account's rank (0-1) among the accounts of its segment goes through that
    curve, and `curve` scores it only while too few accounts have the factor
    (models.population).
    """

    weight: Weight
    curve: Curve
    percentile_curve: Curve | None = None

    @model_validator(mode="after")
    def _scores_in_range(self) -> Factor:
        for curve in (self.curve, self.percentile_curve):
            for _, y in curve.root if curve is not None else ():
                if not 0 <= y <= 100:
                    raise ValueError(f"curve scores must lie in 0-100, got {y}")
        if self.percentile_curve is not None:
            for x, _ in self.percentile_curve.root:
                if not 0 <= x <= 1:
                    raise ValueError(f"percentile_curve ranks must lie in 0-1, got {x}")
        return self


class EngagementFactors(Strict):
    trend: Factor
    stickiness: Factor
    recency: Factor
    breadth: Factor
    champion: Factor
    sponsor: Factor
    # Scored only when the model names key / risk features (EngagementConfig);
    # the defaults let model files written before them load unchanged.
    key_features: Factor = Factor(weight=20, curve=Curve([(0, 0), (0.5, 60), (1, 100)]))
    risk_actions: Factor = Factor(weight=20, curve=Curve([(0, 100), (1, 40), (3, 0)]))
    # Weightless unless the model file weighs them: files written before them
    # score as they did.
    activity: Factor = Factor(weight=0, curve=Curve([(0, 0), (30, 50), (300, 100)]))
    active_users: Factor = Factor(weight=0, curve=Curve([(0, 0), (3, 50), (20, 100)]))


# Factors whose measure can be negative cannot be ranked on log-spaced bins.
UNRANKED_FACTORS = {("sentiment", "nps"), ("commercial", "renewal")}


class SupportFactors(Strict):
    open_tickets: Factor
    first_reply: Factor
    reopen_rate: Factor
    csat: Factor
    effort: Factor


class SentimentFactors(Strict):
    nps: Factor


class CommercialFactors(Strict):
    renewal: Factor
    arr_change: Factor


FeatureWeights = dict[str, Annotated[float, Field(gt=0)]]


class EngagementConfig(Strict):
    weight: Weight
    factors: EngagementFactors
    # Features (the `feature` of logins) whose use means the account gets value
    # (sharing, inviting, integrating…), by weight: `key_features` scores the
    # weighted share of them used in the baseline window.
    key_features: FeatureWeights = Field(default_factory=dict)
    # Features whose use means risk (exporting everything, removing users,
    # downgrading…): `risk_actions` scores their weighted count in the recent window.
    risk_features: FeatureWeights = Field(default_factory=dict)


class SupportConfig(Strict):
    weight: Weight
    factors: SupportFactors
    # Backlog points an open ticket costs, by priority, before the age multiplier.
    priority_points: dict[TicketPriority, Annotated[float, Field(ge=0)]]
    # Hours a ticket has been open → multiplier of its priority points.
    age_multiplier: Curve

    @model_validator(mode="after")
    def _all_priorities(self) -> SupportConfig:
        missing = [p.value for p in TicketPriority if p not in self.priority_points]
        if missing:
            raise ValueError(f"priority_points is missing {', '.join(missing)}")
        if any(y < 0 for _, y in self.age_multiplier.root):
            raise ValueError("age_multiplier values must not be negative")
        return self


class SentimentConfig(Strict):
    weight: Weight
    factors: SentimentFactors
    # How much one answer counts in the weighted NPS, by the respondent's role.
    role_weights: dict[Role, Annotated[float, Field(gt=0)]]
    unknown_role_weight: Annotated[float, Field(gt=0)] = 1.0


class CommercialConfig(Strict):
    weight: Weight
    factors: CommercialFactors


class Components(Strict):
    engagement: EngagementConfig
    support: SupportConfig
    sentiment: SentimentConfig
    commercial: CommercialConfig

    def factor_tables(self) -> dict[ComponentName, dict[str, Factor]]:
        """Every component's factors by name, in file order."""
        return {
            ComponentName.ENGAGEMENT: dict(self.engagement.factors),
            ComponentName.SUPPORT: dict(self.support.factors),
            ComponentName.SENTIMENT: dict(self.sentiment.factors),
            ComponentName.COMMERCIAL: dict(self.commercial.factors),
        }

    @model_validator(mode="after")
    def _rankable(self) -> Components:
        for component, factors in self.factor_tables().items():
            for name, factor in factors.items():
                if factor.percentile_curve is not None and (component, name) in UNRANKED_FACTORS:
                    raise ValueError(
                        f"{component.value}.{name} cannot have a percentile_curve: "
                        "its measure can be negative"
                    )
        return self

    def weights(self) -> dict[ComponentName, float]:
        return {
            ComponentName.ENGAGEMENT: self.engagement.weight,
            ComponentName.SUPPORT: self.support.weight,
            ComponentName.SENTIMENT: self.sentiment.weight,
            ComponentName.COMMERCIAL: self.commercial.weight,
        }
