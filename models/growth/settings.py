"""The model file's `growth:` section: when an account shows expansion signals.

Each signal that holds adds its weight to the account's growth strength
(0-100, the weights' share); a healthy account that has not churned and
reaches `min_strength` is an expansion candidate.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from models.events import Role
from models.model_parts import Strict, Weight

# Usage now and before is read from the users' day bitmasks, which reach 62 days back.
MAX_WINDOW_DAYS = 31


class UsersRising(Strict):
    """More distinct active users in the window than in the window before."""

    weight: Weight = 30
    # At least this share more (0.2 = 20 %)…
    min_rise: Annotated[float, Field(ge=0, le=10)] = 0.2
    # …and at least this many more users.
    min_added: Annotated[int, Field(ge=1, le=10_000)] = 2


class BreadthRising(Strict):
    """Features used for the first time in the window (by an account active before it)."""

    weight: Weight = 20
    min_new_features: Annotated[int, Field(ge=1, le=1000)] = 2


class DecisionMakerPromoters(Strict):
    """Promoters (NPS 9-10) among the people who decide a purchase, outnumbering its detractors."""

    weight: Weight = 30
    roles: list[Role] = Field(
        default_factory=lambda: [
            Role.FINANCE_EXECUTIVE,
            Role.BUSINESS_EXECUTIVE,
            Role.DEPARTMENT_MANAGER,
            Role.IT_LEADER,
        ]
    )
    min_promoters: Annotated[int, Field(ge=1, le=1000)] = 1

    @field_validator("roles")
    @classmethod
    def _some_roles_once_each(cls, roles: list[Role]) -> list[Role]:
        if not roles:
            raise ValueError(
                "name at least one role that decides a purchase "
                f"(from {', '.join(role.value for role in Role)})"
            )
        repeated = sorted({role.value for role in roles if roles.count(role) > 1})
        if repeated:
            raise ValueError(f"{', '.join(repeated)} named more than once")
        return roles


class RenewalApproaching(Strict):
    """The next pending renewal is within `within_days`: a natural moment to expand."""

    weight: Weight = 20
    within_days: Annotated[int, Field(ge=0, le=3660)] = 120


class GrowthSignals(Strict):
    users_rising: UsersRising = UsersRising()
    breadth_rising: BreadthRising = BreadthRising()
    decision_maker_promoters: DecisionMakerPromoters = DecisionMakerPromoters()
    renewal_approaching: RenewalApproaching = RenewalApproaching()

    @cached_property
    def weights(self) -> dict[str, float]:
        """Each signal's weight, by name, in file order (settings never change)."""
        return {name: getattr(self, name).weight for name in type(self).model_fields}


class GrowthSettings(Strict):
    """When an account is an expansion candidate (`GET /portfolio/growth`)."""

    # Usage in the last `window_days` UTC days (today included) against the same
    # number of days before them.
    window_days: int = 14
    # The strength a healthy account needs to be a candidate.
    min_strength: Annotated[float, Field(gt=0, le=100)] = 60
    signals: GrowthSignals = GrowthSignals()

    @field_validator("window_days")
    @classmethod
    def _two_windows_fit(cls, days: int) -> int:
        if not 1 <= days <= MAX_WINDOW_DAYS:
            raise ValueError(
                f"must be 1 to {MAX_WINDOW_DAYS}, got {days}: usage in the window is compared "
                f"with the window before it, and user activity is kept for "
                f"{2 * MAX_WINDOW_DAYS} days"
            )
        return days

    @model_validator(mode="after")
    def _reachable(self) -> GrowthSettings:
        if sum(self.signals.weights.values()) <= 0:
            raise ValueError(
                "signals: the weights add up to 0, so no account could ever be a candidate"
            )
        return self
