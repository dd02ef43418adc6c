"""Customer-experience figures of many accounts, per persona and per segment, region, line
of business or owner (`GET /portfolio/cx`); docs/customer-experience.md defines each.

Every figure is a ratio of counts summed over the accounts, never an average of
the accounts' own figures:

    NPS          100 * (promoters - detractors) / answers   (-100 to 100)
    CSAT         satisfied (4-5) / answers, and the mean answer (1-5)
    effort       the mean answer (1-7, higher = easier)
    first reply  the mean hours from opened to the first response
    active users distinct users active in the window; DAU = Σ user-days / window days,
                 DAU/MAU = DAU / active users

Each figure is null without anything to count. Churned accounts have left the
active portfolio and are left out; so are accounts whose health carries no counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from models.experience.counts import PERSONA_KEYS, PERSONAS, Experience, Persona
from models.health import Health
from models.model_config import Windows


class Dimension(StrEnum):
    """What the accounts are grouped by."""

    SEGMENT = "segment"
    REGION = "region"
    LINE_OF_BUSINESS = "line_of_business"
    CSM_OWNER = "csm_owner"


# The group of accounts whose profile has no value for the dimension.
MISSING = {
    Dimension.SEGMENT: "unknown",
    Dimension.REGION: "unknown",
    Dimension.LINE_OF_BUSINESS: "unknown",
    Dimension.CSM_OWNER: "unassigned",
}


class NpsFigures(BaseModel):
    answers: int = Field(ge=0)
    promoters: int = Field(ge=0, description="Answers 9-10.")
    passives: int = Field(ge=0, description="Answers 7-8.")
    detractors: int = Field(ge=0, description="Answers 0-6.")
    nps: float | None = Field(
        ge=-100,
        le=100,
        description="100 * (promoters - detractors) / answers; null without answers.",
    )


class PersonaFigures(NpsFigures):
    active_users: int = Field(ge=0, description="Distinct users of the role active in the window.")


class CsatFigures(BaseModel):
    answers: int = Field(ge=0)
    satisfied: int = Field(ge=0, description="Answers 4 or 5.")
    csat: float | None = Field(
        ge=0, le=1, description="satisfied / answers (CSAT); null without answers."
    )
    mean: float | None = Field(ge=1, le=5, description="The mean answer, 1-5.")


class EffortFigures(BaseModel):
    answers: int = Field(ge=0)
    mean: float | None = Field(ge=1, le=7, description="The mean answer, 1-7 (higher = easier).")


class FirstReplyFigures(BaseModel):
    tickets: int = Field(ge=0, description="Tickets opened in the window with a first reply.")
    mean_hours: float | None = Field(
        ge=0, description="Mean hours from opened to the first response."
    )


class ActivityFigures(BaseModel):
    active_users: int = Field(ge=0, description="Distinct users active in the window.")
    user_days: int = Field(ge=0, description="Active user-days in the window.")
    daily_active_users: float = Field(ge=0, description="user_days / the window's days.")
    dau_mau: float | None = Field(
        ge=0, le=1, description="daily_active_users / active_users; null without users."
    )


class ExperienceFigures(BaseModel):
    """The figures of a set of accounts."""

    accounts: int = Field(ge=0, description="Accounts counted.")
    nps: NpsFigures = Field(description="Every answer, whatever the respondent's role.")
    personas: dict[Persona, PersonaFigures] = Field(
        description="Every role, and `no_role` for people whose role is not known; zeros "
        "where there is nothing to count.",
        json_schema_extra=PERSONA_KEYS,
    )
    csat: CsatFigures = Field(description="Tickets resolved in the support window.")
    effort: EffortFigures = Field(description="Tickets resolved in the support window.")
    first_reply: FirstReplyFigures = Field(description="Tickets opened in the support window.")
    activity: ActivityFigures = Field(description="Logins in the activity (baseline) window.")


class ExperienceWindows(BaseModel):
    """The windows, in UTC days ending on each account's evaluation, the counts cover."""

    nps_days: int = Field(ge=1, description="NPS answers (the sentiment window).")
    support_days: int = Field(ge=1, description="CSAT, effort, first reply (the support window).")
    activity_days: int = Field(ge=1, description="Active users (the baseline window).")


class CustomerExperience(BaseModel):
    """`GET /portfolio/cx`: CX figures of the active portfolio, per role, in total and per
    value of one dimension."""

    records: Literal["postgresql", "worker"] = Field(
        description="Where the accounts' counts came from: every account's current health "
        "in PostgreSQL, or (without PostgreSQL) this worker's own accounts."
    )
    by: Dimension = Field(description="What `groups` groups the accounts by.")
    windows: ExperienceWindows
    total: ExperienceFigures = Field(description="The whole active portfolio.")
    groups: dict[str, ExperienceFigures] = Field(
        description="Per value of `by` (`unknown`, or `unassigned` for csm_owner, when the "
        "profile has none)."
    )


@dataclass(frozen=True, slots=True)
class Member:
    """One account as the figures count it: where it belongs, whether it churned, its counts."""

    segment: str | None
    region: str | None
    line_of_business: str | None
    csm_owner: str | None
    churned: bool
    experience: Experience

    def group(self, by: Dimension) -> str:
        value: str | None = getattr(self, by.value)
        return value if value is not None else MISSING[by]


def member_of(health: Health) -> Member | None:
    """The account of `health`, or None when its health carries no counts."""
    if health.experience is None:
        return None
    return Member(
        segment=health.segment,
        region=health.region,
        line_of_business=health.line_of_business,
        csm_owner=health.csm_owner,
        churned=health.current_lifecycle.churned,
        experience=health.experience,
    )


class _Sums:
    """Counts added up over accounts."""

    def __init__(self) -> None:
        self.accounts = 0
        self.personas: dict[Persona, list[int]] = {persona: [0, 0, 0, 0] for persona in PERSONAS}
        self.csat = [0, 0, 0]  # answers, satisfied, total
        self.effort = [0, 0]  # answers, total
        self.replies, self.reply_hours = 0, 0.0
        self.users, self.user_days, self.daily_users = 0, 0, 0.0

    def add(self, experience: Experience) -> None:
        self.accounts += 1
        for persona, counts in experience.personas.items():
            sums = self.personas[persona]
            sums[0] += counts.promoters
            sums[1] += counts.passives
            sums[2] += counts.detractors
            sums[3] += counts.active_users
        csat, effort, activity = experience.csat, experience.effort, experience.activity
        self.csat[0] += csat.answers
        self.csat[1] += csat.satisfied
        self.csat[2] += csat.total
        self.effort[0] += effort.answers
        self.effort[1] += effort.total
        self.replies += experience.first_reply.tickets
        self.reply_hours += experience.first_reply.hours
        self.users += activity.users
        self.user_days += activity.user_days
        self.daily_users += activity.user_days / activity.days

    def figures(self) -> ExperienceFigures:
        answers, satisfied, csat_total = self.csat
        effort_answers, effort_total = self.effort
        promoters, passives, detractors = (
            sum(counts[i] for counts in self.personas.values()) for i in range(3)
        )
        return ExperienceFigures(
            accounts=self.accounts,
            nps=nps_figures(promoters, passives, detractors),
            personas={
                persona: PersonaFigures(
                    **nps_figures(*counts[:3]).model_dump(), active_users=counts[3]
                )
                for persona, counts in self.personas.items()
            },
            csat=CsatFigures(
                answers=answers,
                satisfied=satisfied,
                csat=_ratio(satisfied, answers),
                mean=_ratio(csat_total, answers),
            ),
            effort=EffortFigures(answers=effort_answers, mean=_ratio(effort_total, effort_answers)),
            first_reply=FirstReplyFigures(
                tickets=self.replies, mean_hours=_ratio(self.reply_hours, self.replies)
            ),
            activity=ActivityFigures(
                active_users=self.users,
                user_days=self.user_days,
                daily_active_users=self.daily_users,
                dau_mau=_ratio(self.daily_users, self.users),
            ),
        )


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def nps(promoters: int, passives: int, detractors: int) -> float | None:
    """The standard NPS, %promoters - %detractors; None without answers."""
    answers = promoters + passives + detractors
    return 100 * (promoters - detractors) / answers if answers else None


def nps_figures(promoters: int, passives: int, detractors: int) -> NpsFigures:
    return NpsFigures(
        answers=promoters + passives + detractors,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        nps=nps(promoters, passives, detractors),
    )


# The key of every answer's NPS among the personas' (nps_by_persona).
ALL_RESPONDENTS = "all"


def nps_by_persona(experience: Experience) -> dict[str, float]:
    """One account's NPS per persona that has answers, and over every answer
    (`ALL_RESPONDENTS`, when there is any)."""
    found: dict[str, float] = {}
    promoters = passives = detractors = 0
    for persona, counts in experience.personas.items():
        score = nps(counts.promoters, counts.passives, counts.detractors)
        if score is not None:
            found[str(persona)] = score
            promoters += counts.promoters
            passives += counts.passives
            detractors += counts.detractors
    overall = nps(promoters, passives, detractors)
    return found if overall is None else {ALL_RESPONDENTS: overall, **found}


def experience_figures(experiences: Iterable[Experience]) -> ExperienceFigures:
    """The figures of these accounts' counts, all counted."""
    sums = _Sums()
    for experience in experiences:
        sums.add(experience)
    return sums.figures()


def customer_experience(
    members: Iterable[Member],
    by: Dimension,
    windows: Windows,
    records: Literal["postgresql", "worker"],
) -> CustomerExperience:
    """The answer of `GET /portfolio/cx?by=`: the accounts that have not churned, in total
    and per value of `by` (groups in name order)."""
    total = _Sums()
    groups: dict[str, _Sums] = {}
    for member in members:
        if member.churned:
            continue
        total.add(member.experience)
        group = member.group(by)
        sums = groups.get(group)
        if sums is None:
            sums = groups[group] = _Sums()
        sums.add(member.experience)
    return CustomerExperience(
        records=records,
        by=by,
        windows=ExperienceWindows(
            nps_days=windows.sentiment,
            support_days=windows.support,
            activity_days=windows.baseline,
        ),
        total=total.figures(),
        groups={group: groups[group].figures() for group in sorted(groups)},
    )
