"""The HTTP API's query and answer bodies (SPEC §6); docs/openapi.json is generated from them.

An account's answer is `models.health.Health` itself, so the API, `health.scores`
and PostgreSQL carry one shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.health import Band, Health

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


class Portfolio(BaseModel):
    """`GET /portfolio`: accounts and ARR per band, and per segment and band."""

    accounts: int = Field(ge=0, description="All accounts with a health score.")
    bands: dict[Band, Tally] = Field(description="Every band, with zeros for an empty one.")
    segments: dict[str, dict[Band, Tally]] = Field(
        description="Per segment (`unknown` when the profile has none), the bands it has "
        "accounts in."
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
