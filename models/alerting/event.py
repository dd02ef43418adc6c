"""What an alert says: the lifecycle events published on `health.alerts` (SPEC §4).

One `AlertEvent` is one message on the topic (key = `account_id`). Consumers
(the delivery sinks, PostgreSQL history, anyone else) need nothing but this
model to render, route and de-duplicate an alert.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from models.health import Band, Driver


class AlertKind(StrEnum):
    BAND_ENTERED = "band_entered"
    SCORE_DROP = "score_drop"
    RENEWAL_RISK = "renewal_risk"
    # An opportunity, not a risk: the account became an expansion candidate (off by default).
    EXPANSION_OPPORTUNITY = "expansion_opportunity"


class AlertStatus(StrEnum):
    FIRING = "firing"
    REPEATED = "repeated"
    RESOLVED = "resolved"


class ResolveReason(StrEnum):
    """Why an episode resolved."""

    CLEARED = "cleared"  # its condition cleared
    CHURNED = "churned"  # the account churned: it left the active portfolio


class Severity(StrEnum):
    """PagerDuty's four severities, least to most urgent."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity)}


def dedup_key(account_id: str, kind: AlertKind) -> str:
    """The identity of an alert episode: at most one is open per key."""
    return f"{account_id}:{kind.value}"


class AlertEvent(BaseModel):
    """One step in an alert's life: it fired, is still open (reminder or escalation), or resolved.

    `event_id` is deterministic (`{dedup_key}:{episode number}:{status}:{seq}`),
    so re-evaluating the same inputs after a restart yields the same ids and
    downstream writes stay idempotent.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str = Field(min_length=1, max_length=512)
    dedup_key: str = Field(min_length=1, max_length=256)
    account_id: str = Field(min_length=1, max_length=128)
    kind: AlertKind
    status: AlertStatus
    # On `resolved`, the highest severity the episode reached, so a resolve
    # is routed to every sink that saw the episode's firing or escalation.
    severity: Severity
    score: float
    # The score the change is measured from: for score_drop the highest score
    # in the window, otherwise the last score before the episode began.
    baseline_score: float | None = None
    # The band with hysteresis applied: the band alerting reasons about.
    band: Band
    # The band before the change this event reports (None when unknown).
    previous_band: Band | None = None
    drivers: list[Driver] = []
    name: str | None = None
    segment: str | None = None
    region: str | None = None
    csm_owner: str | None = None
    arr: float | None = None
    renewal_date: date | None = None
    # When the episode started firing; identical on every event of the episode.
    episode_started_at: AwareDatetime
    at: AwareDatetime
    model_version: str
    summary: str
    # On `resolved`, why (null on the other statuses, and on resolves published
    # before reasons were given).
    reason: ResolveReason | None = None
    # expansion_opportunity only: the account's growth strength (0-100), whose
    # signals are then the `drivers`; null on the other kinds.
    growth_strength: float | None = None

    @property
    def display_name(self) -> str:
        return self.name or self.account_id

    @property
    def is_opportunity(self) -> bool:
        """News of a chance to sell more, not of a risk."""
        return self.kind is AlertKind.EXPANSION_OPPORTUNITY

    def top_drivers(self, limit: int = 3) -> list[Driver]:
        """Why the alert fired: the drivers that pull the score down most, worst first;
        for an opportunity, its growth signals, strongest first."""
        if self.is_opportunity:
            return sorted(self.drivers, key=lambda d: -d.impact)[:limit]
        negative = sorted((d for d in self.drivers if d.impact < 0), key=lambda d: d.impact)
        return negative[:limit]
