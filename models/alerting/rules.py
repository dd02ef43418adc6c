"""Thresholds that decide when an alert fires, repeats and resolves, and how severe it is.

Durations accept a `timedelta`, a number of seconds, ISO 8601 (`PT15M`) or a
compact form such as `15m`, `24h`, `7d`, `1h30m` in the model YAML.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from models.alerting.event import Severity
from models.health import Band

_COMPACT_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def _parse_compact_duration(value: object) -> object:
    if isinstance(value, str):
        match = _COMPACT_DURATION.fullmatch(value.strip())
        if match and any(match.groups()):
            days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
            return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    return value


Duration = Annotated[timedelta, BeforeValidator(_parse_compact_duration)]


class AlertRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Band edges, as in the scoring model (healthy >= 70, critical < 40); the
    # hysteresis below is measured from them, so keep them equal to the model's.
    healthy_from: float = Field(default=70.0, gt=0, le=100)
    at_risk_from: float = Field(default=40.0, gt=0, le=100)
    # Points above a band's lower edge an account must climb before it has left the band.
    band_exit_margin: float = Field(default=3.0, ge=0, le=30)
    # Like Prometheus' `for`: a condition stays pending this long before it fires.
    pending_for: Duration = timedelta(minutes=15)
    # Like Prometheus' `keep_firing_for`: a cleared condition resolves only after this long.
    keep_firing_for: Duration = timedelta(0)
    # Reminders (`repeated`) for an alert that stays open.
    repeat_interval: Duration = timedelta(hours=24)
    score_drop_points: float = Field(default=15.0, gt=0, le=100)
    score_drop_window: Duration = timedelta(days=7)
    # An open score_drop resolves once the drop is below points - margin.
    score_drop_clear_margin: float = Field(default=3.0, ge=0)
    renewal_within_days: int = Field(default=90, ge=0, le=3660)
    # No alert on a score built from too little data: an account with only a
    # profile scores neutral (at_risk) with confidence 0, and that is not news.
    min_confidence: float = Field(default=0.25, ge=0, le=1)
    # Severity bumps (see `alert_severity`).
    high_arr: float = Field(default=100_000.0, ge=0)
    renewal_soon_days: int = Field(default=30, ge=0, le=3660)
    # Raise `expansion_opportunity` when an account becomes an expansion candidate
    # (Health.growth). Off by default: an opportunity is news, not an incident.
    expansion_opportunity: bool = False

    @model_validator(mode="after")
    def _check_consistency(self) -> Self:
        if self.at_risk_from >= self.healthy_from:
            raise ValueError("at_risk_from must be below healthy_from")
        if self.score_drop_clear_margin >= self.score_drop_points:
            raise ValueError("score_drop_clear_margin must be below score_drop_points")
        for name in ("pending_for", "keep_firing_for"):
            if getattr(self, name) < timedelta(0):
                raise ValueError(f"{name} must not be negative")
        for name in ("repeat_interval", "score_drop_window"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be positive")
        return self

    def with_band_edges(self, healthy_from: float, at_risk_from: float) -> AlertRules:
        """These rules for a model (or lifecycle stage) whose bands start elsewhere."""
        return self.model_validate(
            {**self.model_dump(), "healthy_from": healthy_from, "at_risk_from": at_risk_from}
        )


_BASE_SEVERITY = {Band.CRITICAL: Severity.ERROR, Band.AT_RISK: Severity.WARNING}
_SEVERITY_BY_RANK = list(Severity)


def alert_severity(
    band: Band, arr: float | None, renewal_date: date | None, today: date, rules: AlertRules
) -> Severity:
    """How urgent an alert about an account in `band` is.

    The band sets the base: critical -> error, at_risk -> warning, healthy -> info.
    Each of these raises it one step, up to critical:
    - the account is large: `arr >= rules.high_arr`;
    - its renewal is close: `renewal_date` is today or within `rules.renewal_soon_days`.
    So a large critical account, or a critical one about to renew, pages
    (critical); a small critical account far from renewal is an error.
    """
    rank = _BASE_SEVERITY.get(band, Severity.INFO).rank
    if arr is not None and arr >= rules.high_arr:
        rank += 1
    if renewal_date is not None and 0 <= (renewal_date - today).days <= rules.renewal_soon_days:
        rank += 1
    return _SEVERITY_BY_RANK[min(rank, Severity.CRITICAL.rank)]
