"""The health of one account: what `health.scores`, the HTTP API and PostgreSQL carry."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Band(StrEnum):
    HEALTHY = "healthy"
    AT_RISK = "at_risk"
    CRITICAL = "critical"


class Driver(BaseModel):
    """One contribution to the score, explained for a CSM.

    `impact` is the signed number of score points this factor moved the total
    (negative pulls the score down).
    """

    model_config = ConfigDict(frozen=True)

    code: str
    text: str
    impact: float
    component: str


# The fields a Health copies from the account's profile (the latest `accounts` event).
PROFILE_FIELDS = (
    "name",
    "segment",
    "region",
    "line_of_business",
    "csm_owner",
    "arr",
    "renewal_date",
    "lifecycle_stage",
)


class Health(BaseModel):
    """The current health of one account."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    score: float = Field(ge=0, le=100)
    band: Band
    components: dict[str, float | None]
    drivers: list[Driver]
    confidence: float = Field(ge=0, le=1)
    updated_at: AwareDatetime
    model_version: str
    # Profile fields copied from the latest `accounts` event, for routing and display.
    name: str | None = None
    segment: str | None = None
    region: str | None = None
    line_of_business: str | None = None
    csm_owner: str | None = None
    arr: float | None = None
    renewal_date: date | None = None
    lifecycle_stage: str | None = None
    last_event_at: datetime | None = None
