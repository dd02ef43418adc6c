"""An account's lifecycle: active, churned (with the date and the ARR lost) or resurrected.

A churned account has left the active portfolio: its score is still computed,
but it is counted apart from the bands and raises no alerts. A churned account
that comes back is resurrected, and counts in the bands again.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class LifecycleStatus(StrEnum):
    ACTIVE = "active"  # never churned (as far as the state remembers)
    CHURNED = "churned"  # churned, and not back (yet)
    RESURRECTED = "resurrected"  # churned, then came back


class ResurrectedBy(StrEnum):
    RENEWAL = "renewal"  # a renewal outcome on another contract, after the churn
    ACTIVITY = "activity"  # logins on enough distinct days soon after the churn


class ChurnEpisode(BaseModel):
    """One churn, and what became of it. Dates are UTC days of the events' `occurred_at`."""

    model_config = ConfigDict(frozen=True)

    churned_on: date
    # ARR of the contracts that churned (a second contract churning while the
    # account is churned adds to the same episode).
    arr_lost: float = Field(ge=0)
    resurrected_on: date | None = None
    resurrected_by: ResurrectedBy | None = None
    # ARR of the contracts whose renewal brought the account back (null when
    # activity alone did).
    arr_won_back: float | None = Field(default=None, ge=0)
    # Whether the account churned again within `lifecycle.rechurn_within_days`
    # of coming back.
    rechurned: bool = False


class Lifecycle(BaseModel):
    """Where an account stands: its status, and every churn its state remembers, oldest first."""

    model_config = ConfigDict(frozen=True)

    status: LifecycleStatus = LifecycleStatus.ACTIVE
    # The latest churn: when, and the ARR it lost (null if it never churned).
    churned_on: date | None = None
    arr_lost: float | None = Field(default=None, ge=0)
    # The day it came back, while it is resurrected.
    resurrected_on: date | None = None
    # How many times it churned.
    churns: int = Field(default=0, ge=0)
    episodes: list[ChurnEpisode] = Field(default_factory=list)

    @property
    def churned(self) -> bool:
        return self.status is LifecycleStatus.CHURNED


# Shared by every account that never churned; frozen, so never changed.
NEVER_CHURNED = Lifecycle()
