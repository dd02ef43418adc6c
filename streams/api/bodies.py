"""The HTTP API's query and answer bodies (SPEC §6); docs/openapi.json is generated from them.

An account's answer is `models.health.Health` itself, so the API, `health.scores`
and PostgreSQL carry one shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.health import Band, Health
from models.lifecycle.figures import ChurnFigures, QuarterFigures
from models.lifecycle.status import LifecycleStatus

MAX_LIMIT = 1000
DEFAULT_LIMIT = 50


class AccountQuery(BaseModel):
    """The filters of `GET /accounts`; one left out, or empty, matches every account."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    band: Band | None = Field(default=None, description="Only this band.")
    segment: str | None = Field(default=None, description="Only this segment.")
    csm_owner: str | None = Field(
        default=None, description="Only accounts of this customer-success manager."
    )
    status: LifecycleStatus | None = Field(
        default=None,
        description="Only accounts with this lifecycle status. Left out: the accounts in "
        "the active portfolio (active and resurrected); churned ones only when asked for.",
    )
    limit: int = Field(
        default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="At most this many accounts."
    )

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> AccountQuery:
        """Validate query parameters; raises pydantic.ValidationError on a bad or unknown one."""
        return cls.model_validate({name: value for name, value in params.items() if value != ""})


class AccountList(BaseModel):
    """`GET /accounts`: the matching accounts, worst (lowest score) first."""

    accounts: list[Health]


class Tally(BaseModel):
    """How many accounts, and their ARR summed (accounts without ARR count as 0)."""

    accounts: int = Field(ge=0)
    arr: float = Field(ge=0)


class LostTally(BaseModel):
    """Churned accounts, and the ARR their churns lost (`lifecycle.arr_lost`)."""

    accounts: int = Field(ge=0)
    arr_lost: float = Field(ge=0)


class Portfolio(BaseModel):
    """`GET /portfolio`: the active portfolio's accounts and ARR per band, and per segment
    and band; churned accounts apart."""

    accounts: int = Field(
        ge=0, description="Accounts in the active portfolio (not churned): the bands add up to it."
    )
    bands: dict[Band, Tally] = Field(
        description="Every band, with zeros for an empty one; churned accounts are left out."
    )
    segments: dict[str, dict[Band, Tally]] = Field(
        description="Per segment (`unknown` when the profile has none), the bands it has "
        "accounts of the active portfolio in."
    )
    churned: LostTally = Field(
        description="Churned accounts, out of the bands, and the ARR they lost (gone, not at risk)."
    )
    resurrected: Tally = Field(
        description="Accounts that churned and came back, with their ARR; in the bands too."
    )


class PortfolioLifecycle(BaseModel):
    """`GET /portfolio/lifecycle`: churned and resurrected accounts now, and every churn
    with what became of it, all time and per quarter of the churn."""

    churned: LostTally = Field(description="Churned accounts now, and the ARR they lost.")
    resurrected: Tally = Field(description="Resurrected accounts now, and their ARR.")
    rechurn_within_days: int = Field(
        ge=1, description="A resurrection followed by a churn within this many days is re-churned."
    )
    all_time: ChurnFigures = Field(description="Every churn episode the states remember.")
    quarters: list[QuarterFigures] = Field(
        description="Per quarter with churns, oldest first: that quarter's churns and what "
        "became of them since."
    )


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """`GET /readyz`: 200 when ready, else 503 with the same body."""

    ready: bool
    tables_recovered: bool
    processing: bool
    reason: str | None = Field(
        default=None,
        description="Why the worker is not ready, in one short line; null when it is.",
    )


class ErrorBody(BaseModel):
    error: str = Field(description="What went wrong, in one line.")


class UnknownAccount(ErrorBody):
    """`GET /accounts/{account_id}` of an account with no known health."""

    account_id: str
