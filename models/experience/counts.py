"""One account's customer-experience counts: what `Health.experience` carries.

Counts and sums rather than averages, so that a figure over many accounts is
exact: a segment's NPS counts every answer of its accounts (promoters / answers
- detractors / answers), never an average of the accounts' NPS. Each count
covers a window of the model ending on the evaluation's UTC day:

- NPS (sentiment window, 180 days): each respondent's latest answer, per the
  respondent's latest known role (`no_role` when no answer of theirs named
  one): promoters 9-10, passives 7-8, detractors 0-6;
- active users (baseline window, 30 days): distinct users with a login, per
  the role their latest login named (`no_role` when none did), and the
  active user-days of all of them;
- CSAT, customer effort and first reply (support window, 90 days), as the
  support component counts them: the latest CSAT (1-5) and effort (1-7,
  higher = easier) answer of each ticket resolved in the window, and the
  hours from `opened` to the first `first_response` of each ticket opened in
  the window that has both.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from models.events import Role

NO_ROLE: Final = "no_role"
# Who counts apart: each of the six roles, and people no event named a role for.
Persona = Role | Literal["no_role"]
PERSONAS: tuple[Persona, ...] = (*Role, NO_ROLE)
# What the JSON Schema of a dict keyed by persona says of its keys.
PERSONA_KEYS: JsonDict = {"propertyNames": {"enum": [str(persona) for persona in PERSONAS]}}

_FROZEN = ConfigDict(frozen=True)


class PersonaCounts(BaseModel):
    """One persona's NPS answers and active users."""

    model_config = _FROZEN

    promoters: int = Field(default=0, ge=0, description="NPS answers 9-10.")
    passives: int = Field(default=0, ge=0, description="NPS answers 7-8.")
    detractors: int = Field(default=0, ge=0, description="NPS answers 0-6.")
    active_users: int = Field(
        default=0, ge=0, description="Distinct users of this role active in the window."
    )

    @property
    def answers(self) -> int:
        return self.promoters + self.passives + self.detractors


class CsatCounts(BaseModel):
    model_config = _FROZEN

    answers: int = Field(default=0, ge=0, description="Tickets with a CSAT answer (1-5).")
    satisfied: int = Field(default=0, ge=0, description="Of those, answers 4 or 5.")
    total: int = Field(default=0, ge=0, description="The answers summed.")


class EffortCounts(BaseModel):
    model_config = _FROZEN

    answers: int = Field(
        default=0, ge=0, description="Tickets with a customer effort answer (1-7)."
    )
    total: int = Field(default=0, ge=0, description="The answers summed (higher = easier).")


class FirstReplyCounts(BaseModel):
    model_config = _FROZEN

    tickets: int = Field(default=0, ge=0, description="Tickets opened with a first reply.")
    hours: float = Field(default=0.0, ge=0, description="Their first reply times summed.")


class ActivityCounts(BaseModel):
    model_config = _FROZEN

    users: int = Field(default=0, ge=0, description="Distinct users active in the window.")
    user_days: int = Field(default=0, ge=0, description="Active user-days in the window.")
    days: int = Field(ge=1, description="The window's length in days.")


class Experience(BaseModel):
    """An account's customer-experience counts, each over its window ending on the
    evaluation's UTC day."""

    model_config = _FROZEN

    personas: dict[Persona, PersonaCounts] = Field(
        description="The personas with an NPS answer or an active user; a persona left "
        "out has none.",
        json_schema_extra=PERSONA_KEYS,
    )
    csat: CsatCounts
    effort: EffortCounts
    first_reply: FirstReplyCounts
    activity: ActivityCounts
