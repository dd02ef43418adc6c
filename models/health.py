"""The health of one account: what `health.scores`, the HTTP API and PostgreSQL carry."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from models.events import RenewalStatus
from models.experience.counts import Experience
from models.lifecycle.status import NEVER_CHURNED, Lifecycle


class Band(StrEnum):
    HEALTHY = "healthy"
    AT_RISK = "at_risk"
    CRITICAL = "critical"


class Driver(BaseModel):
    """One contribution to the score (or to the growth strength), explained for a CSM.

    `impact` is the signed number of score points this factor moved the total
    (negative pulls the score down); for a growth driver, the points its signal
    adds to the growth strength.
    """

    model_config = ConfigDict(frozen=True)

    code: str
    text: str
    impact: float
    component: str


class Growth(BaseModel):
    """Whether the account could buy more: its expansion signals (models.growth)."""

    model_config = ConfigDict(frozen=True)

    candidate: bool = Field(
        description="An expansion candidate: not churned, healthy, and its strength reaches "
        "the model's growth.min_strength."
    )
    strength: float = Field(
        ge=0,
        le=100,
        description="0-100: the share of the growth signals' weight that holds. The drivers' "
        "impacts add up to it.",
    )
    drivers: list[Driver] = Field(
        description="Each growth signal that holds, strongest first (component `growth`)."
    )


class Contract(BaseModel):
    """One contract's renewal as the account's state knows it: its latest status.

    `decided_at` is when that status was decided: the event's `decided_on`
    (midnight UTC) when it gave one, else its `occurred_at`.
    """

    model_config = ConfigDict(frozen=True)

    contract_id: str
    status: RenewalStatus
    renewal_date: date
    arr: float = Field(ge=0)
    new_arr: float | None = Field(default=None, ge=0)
    decided_at: AwareDatetime


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
    # The version of the account state it was scored from (AccountState.state_version:
    # activity events accepted so far); None in healths published before it was recorded.
    state_version: int | None = Field(default=None, ge=0)
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
    # Active, churned or resurrected (models.lifecycle). A churned account keeps
    # its score and `band`, but has left the active portfolio: every portfolio
    # view counts it apart, and it raises no alerts. None in healths published
    # before lifecycles were tracked (read as never churned).
    lifecycle: Lifecycle | None = Field(
        default=None,
        description="Active, churned or resurrected. A churned account keeps its score and "
        "band, but has left the active portfolio: it is counted apart and raises no alerts. "
        "Null in healths published before lifecycles were tracked (never churned).",
    )

    # The expansion signals; None in healths published before growth was assessed.
    growth: Growth | None = Field(
        default=None,
        description="Expansion signals: whether the account is an expansion candidate, its "
        "growth strength and the signals behind it. Null in healths published before growth "
        "was assessed.",
    )

    @property
    def current_lifecycle(self) -> Lifecycle:
        return self.lifecycle if self.lifecycle is not None else NEVER_CHURNED

    # The contracts the account's state holds (those decided within the longest window,
    # and those not yet due), by contract_id; None in healths published before they were
    # carried. PostgreSQL keeps every one it is given (the `renewals` table).
    contracts: list[Contract] | None = None
    experience: Experience | None = Field(
        default=None,
        description="Customer-experience counts over the model's windows: NPS answers and "
        "active users per role, CSAT, customer effort, first replies. Null in healths "
        "published before they were carried.",
    )


def growth_outline(health: Health) -> tuple[bool, float, list[str]] | None:
    """What tells one growth assessment from another for a reader: candidacy, strength and
    the signals that hold (their sentences' day counts aside)."""
    growth = health.growth
    if growth is None:
        return None
    return (growth.candidate, growth.strength, [driver.code for driver in growth.drivers])


def evaluation_key(health: Health) -> str:
    """What identifies one evaluation of an account, however often and whenever it ran.

    The state version it was scored from, and a digest of everything it came
    to except `updated_at` (the profile fields and `last_event_at` included,
    which tell profile upserts apart: the version does not count them). A
    worker re-reading input after a crash evaluates the same state again at a
    later clock: the same result gives the same key.
    A later clock that moves the score (silence decaying) gives a new one, as
    it should: the score depends on the clock to the second, so no coarser
    clock bucket could tell such evaluations apart.

    A health without a state version (published before there was one) has
    only its clock: the key migration 003 gave the rows stored then.
    """
    if health.state_version is None:
        return "at:" + health.updated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    content = health.model_dump_json(exclude={"updated_at"}).encode()
    return f"{health.state_version}:{hashlib.blake2b(content, digest_size=12).hexdigest()}"
