"""Input events, exactly as the product contract (SPEC §2) defines them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

Identifier = Annotated[str, Field(min_length=1, max_length=128)]


class Role(StrEnum):
    """The six people a B2B purchase must satisfy."""

    FINANCE_EXECUTIVE = "finance_executive"
    BUSINESS_EXECUTIVE = "business_executive"
    DEPARTMENT_MANAGER = "department_manager"
    END_USER = "end_user"
    IT_LEADER = "it_leader"
    TECHNICAL_EXPERT = "technical_expert"


class TicketStatus(StrEnum):
    OPENED = "opened"
    FIRST_RESPONSE = "first_response"
    RESOLVED = "resolved"
    REOPENED = "reopened"


class TicketPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class RenewalStatus(StrEnum):
    UPCOMING = "upcoming"
    RENEWED = "renewed"
    CHURNED = "churned"
    EXPANDED = "expanded"
    CONTRACTED = "contracted"


class LifecycleStage(StrEnum):
    ONBOARDING = "onboarding"
    ADOPTION = "adoption"
    ESCALATION = "escalation"
    RENEWAL = "renewal"


class Event(BaseModel):
    """Fields every input event carries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Identifier
    account_id: Identifier
    occurred_at: AwareDatetime


class LoginEvent(Event):
    user_id: Identifier
    role: Role | None = None
    feature: Annotated[str, Field(min_length=1, max_length=128)] | None = None


class TicketEvent(Event):
    ticket_id: Identifier
    status: TicketStatus
    priority: TicketPriority
    csat: Annotated[int, Field(ge=1, le=5)] | None = None
    effort: Annotated[int, Field(ge=1, le=7)] | None = None


class NpsEvent(Event):
    respondent_id: Identifier
    score: Annotated[int, Field(ge=0, le=10, strict=True)]
    role: Role | None = None
    comment: Annotated[str, Field(max_length=2000)] | None = None


class RenewalEvent(Event):
    contract_id: Identifier
    status: RenewalStatus
    renewal_date: date
    arr: Annotated[float, Field(ge=0)]
    new_arr: Annotated[float, Field(ge=0)] | None = None
    # The day the status was decided, when earlier than `occurred_at` (a renewal
    # history imported from a CRM); its day when left out.
    decided_on: date | None = None

    @model_validator(mode="after")
    def _decided_by_the_event(self) -> RenewalEvent:
        check_decided_on(self.decided_on, self.occurred_at)
        return self


def check_decided_on(decided_on: date | None, occurred_at: datetime) -> None:
    """A status cannot be decided after the event that reports it."""
    if decided_on is not None and decided_on > occurred_at.date():
        raise ValueError(
            f"decided_on {decided_on.isoformat()} is after the day of occurred_at "
            f"({occurred_at.date().isoformat()})"
        )


class AccountProfile(Event):
    name: Annotated[str, Field(min_length=1, max_length=256)]
    arr: Annotated[float, Field(ge=0)] | None = None
    segment: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    region: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    line_of_business: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    csm_owner: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    renewal_date: date | None = None
    lifecycle_stage: LifecycleStage | None = None
    champion_user_id: Identifier | None = None
    sponsor_user_id: Identifier | None = None


AnyEvent = LoginEvent | TicketEvent | NpsEvent | RenewalEvent | AccountProfile

# Input topic (without prefix) -> the event type its messages carry.
TOPIC_EVENTS: dict[str, type[Event]] = {
    "logins": LoginEvent,
    "tickets": TicketEvent,
    "nps": NpsEvent,
    "renewals": RenewalEvent,
    "accounts": AccountProfile,
}

# Topics whose events expire with the longest window (profiles never do).
EXPIRING_TOPICS = frozenset({"logins", "tickets", "nps", "renewals"})

MAX_BATCH_EVENTS = 10_000
