"""One-sentence summaries of alert events, written for a CSM."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models.alerting.event import AlertKind, AlertStatus, ResolveReason
from models.health import Band

_BAND_WORDS = {Band.HEALTHY: "healthy", Band.AT_RISK: "at risk", Band.CRITICAL: "critical"}


@dataclass(frozen=True)
class SummaryFacts:
    name: str
    kind: AlertKind
    status: AlertStatus
    score: float
    band: Band
    previous_band: Band | None
    baseline_score: float | None
    renewal_date: date | None
    today: date
    drop_window_days: int = 7
    escalated: bool = False
    reason: ResolveReason | None = None
    arr_lost: float | None = None  # when the account churned
    growth_strength: float | None = None  # expansion_opportunity


def band_words(band: Band) -> str:
    return _BAND_WORDS[band]


def _points(value: float) -> str:
    return f"{value:.0f}"


def _strength(facts: SummaryFacts) -> str:
    return _points(facts.growth_strength or 0.0)


def summarize(facts: SummaryFacts) -> str:
    """The event's `summary`: one sentence naming the account, what happened and the score."""
    score = _points(facts.score)
    state = band_words(facts.band)
    if facts.status is AlertStatus.RESOLVED:
        return _resolved(facts, score, state)
    prefix = (
        "Escalated: "
        if facts.escalated
        else ("Still open: " if facts.status is AlertStatus.REPEATED else "")
    )
    if facts.kind is AlertKind.BAND_ENTERED:
        was = f" (was {band_words(facts.previous_band)})" if facts.previous_band else ""
        return f"{prefix}{facts.name} is {state} with a health score of {score}{was}."
    if facts.kind is AlertKind.SCORE_DROP:
        peak = facts.baseline_score if facts.baseline_score is not None else facts.score
        return (
            f"{prefix}{facts.name}'s health score fell {_points(peak - facts.score)} points"
            f" within {facts.drop_window_days} days, from {_points(peak)} to {score} ({state})."
        )
    if facts.kind is AlertKind.EXPANSION_OPPORTUNITY:
        return (
            f"{prefix}{facts.name} is an expansion candidate: growth strength"
            f" {_strength(facts)} of 100, {state} with a health score of {score}."
        )
    return f"{prefix}{facts.name} is {state} (score {score}) and {_renewal_phrase(facts)}."


def _renewal_phrase(facts: SummaryFacts) -> str:
    if facts.renewal_date is None:
        return "has no renewal date"
    days = (facts.renewal_date - facts.today).days
    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    return f"renews {when} ({facts.renewal_date.isoformat()})"


def _resolved(facts: SummaryFacts, score: str, state: str) -> str:
    if facts.reason is ResolveReason.CHURNED:
        lost = f" ({facts.arr_lost:,.0f} ARR lost)" if facts.arr_lost else ""
        return f"Resolved: {facts.name} churned{lost} and has left the active portfolio."
    if facts.kind is AlertKind.BAND_ENTERED:
        return f"Resolved: {facts.name} is {state} again with a health score of {score}."
    if facts.kind is AlertKind.SCORE_DROP:
        return f"Resolved: {facts.name}'s health score has recovered or stabilised at {score}."
    if facts.kind is AlertKind.EXPANSION_OPPORTUNITY:
        return (
            f"Resolved: {facts.name} is no longer an expansion candidate (growth strength"
            f" {_strength(facts)}, health score {score}, {state})."
        )
    return f"Resolved: {facts.name}'s renewal is no longer at risk (score {score}, {state})."
