"""When a churned account counts as back: the model YAML's `lifecycle:` section."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from models.events import RenewalStatus
from models.model_parts import Strict

# Outcomes that keep (or win back) a contract; `churned` and `upcoming` do not.
KEPT = (RenewalStatus.RENEWED, RenewalStatus.EXPANDED, RenewalStatus.CONTRACTED)


class ResurrectionRules(Strict):
    """A churned account is resurrected by the first of these to happen."""

    # A renewal outcome with one of these statuses on a later day than the churn
    # (a new contract, or the churned one won back; [] = never by a renewal).
    renewal_statuses: list[RenewalStatus] = Field(
        default_factory=lambda: [RenewalStatus.RENEWED, RenewalStatus.EXPANDED]
    )
    # Logins on this many distinct days within `within_days` days after the churn
    # (0 = never by activity alone).
    active_days: Annotated[int, Field(ge=0, le=366)] = 10
    within_days: Annotated[int, Field(ge=1, le=366)] = 30

    @field_validator("renewal_statuses")
    @classmethod
    def _outcomes_that_keep_a_contract(cls, statuses: list[RenewalStatus]) -> list[RenewalStatus]:
        wrong = [s.value for s in statuses if s not in KEPT]
        if wrong:
            raise ValueError(
                f"{', '.join(wrong)} cannot bring a churned account back "
                f"(choose from {', '.join(s.value for s in KEPT)})"
            )
        return statuses

    @model_validator(mode="after")
    def _days_fit_the_window(self) -> ResurrectionRules:
        if self.active_days > self.within_days:
            raise ValueError(
                f"active_days ({self.active_days}) cannot exceed within_days "
                f"({self.within_days}): there are only that many days to be active on"
            )
        return self


class LifecycleRules(Strict):
    resurrection: ResurrectionRules = ResurrectionRules()
    # A resurrected account that churns again within this many days of coming
    # back counts as re-churned.
    rechurn_within_days: Annotated[int, Field(ge=1, le=3660)] = 90
