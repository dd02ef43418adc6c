"""The growth list: expansion candidates best first, and the figures about them.

What `GET /portfolio/growth` answers, from the healths of the accounts (their
`growth`), whichever source they come from. The PostgreSQL views of
sinks/migrations/006_growth.sql give the same figures:

- candidates: accounts that are expansion candidates now (never churned ones);
- arr: their ARR summed (an account without ARR counts 0);
- healthy_accounts: healthy accounts in the active portfolio, the pool
  candidates come from, and candidate_share = candidates / healthy_accounts;
- signals: per growth signal, the candidates it holds for and their ARR.

Best first: the highest growth strength, then the most ARR (none last), then
account_id.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from models.growth.settings import GrowthSettings, GrowthSignals
from models.health import Band, Driver, Health

# Every signal's driver code, in the model file's order.
SIGNAL_CODES = tuple(f"growth.{name}" for name in GrowthSignals.model_fields)


class GrowthCandidate(BaseModel):
    """One expansion candidate: who, what it is worth, how strong its signals are and why."""

    account_id: str
    name: str | None
    segment: str | None
    region: str | None
    csm_owner: str | None
    arr: float | None
    renewal_date: date | None
    score: float = Field(description="Its health score (a candidate is healthy).")
    strength: float = Field(ge=0, le=100, description="Its growth strength, 0-100.")
    drivers: list[Driver] = Field(
        description="The growth signals that hold, strongest first; their impacts add up to "
        "the strength."
    )
    updated_at: AwareDatetime = Field(description="When its health was evaluated.")


class SignalTally(BaseModel):
    """Candidates a growth signal holds for, and their ARR."""

    accounts: int = Field(ge=0)
    arr: float = Field(ge=0)


class GrowthSummary(BaseModel):
    """The figures over every candidate asked for (not only the listed ones)."""

    candidates: int = Field(ge=0, description="Expansion candidates.")
    arr: float = Field(ge=0, description="Their ARR summed (accounts without ARR count 0).")
    healthy_accounts: int = Field(
        ge=0, description="Healthy accounts of the active portfolio: the pool candidates are from."
    )
    candidate_share: float | None = Field(
        description="candidates / healthy_accounts; null without healthy accounts."
    )
    signals: dict[str, SignalTally] = Field(
        description="Per growth signal (every one, zeros included), the candidates it holds "
        "for: `growth.renewal_approaching` counts the candidates renewing soon."
    )


class GrowthList(BaseModel):
    """`GET /portfolio/growth`: expansion candidates, best first, with their drivers."""

    records: Literal["postgresql", "worker"] = Field(
        description="Where the healths came from: PostgreSQL (every account), or without it "
        "the answering worker's own accounts."
    )
    min_strength: float = Field(description="The strength a healthy account needs (the model's).")
    window_days: int = Field(
        description="Usage is compared over the last this many days against as many before."
    )
    summary: GrowthSummary
    candidates: list[GrowthCandidate] = Field(
        description="Best first: highest strength, then most ARR, then account_id; at most `limit`."
    )


# What a candidate's entry copies from its health, as it is there.
_FROM_HEALTH = set(GrowthCandidate.model_fields) - {"strength", "drivers"}


def candidate_of(health: Health) -> GrowthCandidate | None:
    """The account as a candidate; None when it is not one."""
    growth = health.growth
    if growth is None or not growth.candidate or health.current_lifecycle.churned:
        return None
    listed = health.model_dump(include=_FROM_HEALTH)
    return GrowthCandidate(**listed, strength=growth.strength, drivers=growth.drivers)


def is_healthy_and_active(health: Health) -> bool:
    """Healthy and in the active portfolio (not churned)."""
    return health.band is Band.HEALTHY and not health.current_lifecycle.churned


def best_first(candidates: Iterable[GrowthCandidate]) -> list[GrowthCandidate]:
    return sorted(
        candidates,
        key=lambda c: (-c.strength, c.arr is None, -(c.arr or 0.0), c.account_id),
    )


def growth_list(
    candidates: Iterable[GrowthCandidate],
    healthy_accounts: int,
    settings: GrowthSettings,
    records: Literal["postgresql", "worker"],
    limit: int,
) -> GrowthList:
    """The answer for these candidates (all of those asked for) and this many healthy accounts."""
    ranked = best_first(candidates)
    signals = {code: SignalTally(accounts=0, arr=0.0) for code in SIGNAL_CODES}
    for candidate in ranked:
        for driver in candidate.drivers:
            tally = signals.get(driver.code)
            if tally is not None:
                tally.accounts += 1
                tally.arr += candidate.arr or 0.0
    summary = GrowthSummary(
        candidates=len(ranked),
        arr=sum(c.arr or 0.0 for c in ranked),
        healthy_accounts=healthy_accounts,
        candidate_share=len(ranked) / healthy_accounts if healthy_accounts else None,
        signals=signals,
    )
    return GrowthList(
        records=records,
        min_strength=settings.min_strength,
        window_days=settings.window_days,
        summary=summary,
        candidates=ranked[:limit],
    )
