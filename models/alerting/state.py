"""Per-account alerting memory, stored as a plain dict in a Faust table.

Everything here round-trips through `model_dump(mode="json")` /
`model_validate`, and stays small: a bounded score history plus one record
per alert kind.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from operator import itemgetter

from pydantic import AwareDatetime, BaseModel, Field

from models.alerting.event import AlertKind, Severity
from models.alerting.rules import AlertRules
from models.health import Band

# The score_drop window is kept as this many buckets, each holding its highest
# score, so history stays bounded whatever the evaluation rate.
HISTORY_BUCKETS = 56

BAND_RANK = {Band.HEALTHY: 0, Band.AT_RISK: 1, Band.CRITICAL: 2}


class Phase(StrEnum):
    INACTIVE = "inactive"
    PENDING = "pending"  # condition holds, waiting out `pending_for`
    FIRING = "firing"


class KindState(BaseModel):
    """One alert kind's episode for one account (the dedup key `account_id:kind`)."""

    phase: Phase = Phase.INACTIVE
    pending_since: AwareDatetime | None = None
    # Set while firing but the condition has cleared (waiting out `keep_firing_for`).
    clear_since: AwareDatetime | None = None
    episode_started_at: AwareDatetime | None = None
    last_notified_at: AwareDatetime | None = None
    seq: int = 0  # events emitted in this episode; part of the event id
    # Episodes this key has opened so far; kept while inactive. Part of the event
    # id, so re-evaluating after a crash re-creates the same ids (not the clock).
    episode: int = 0
    # Set while firing and the account got worse than what was notified
    # (waiting out `pending_for` before escalating).
    escalating_since: AwareDatetime | None = None
    peak_severity: Severity | None = None
    peak_band: Band | None = None
    previous_band: Band | None = None
    baseline_score: float | None = None


class ScoreBucket(BaseModel):
    start: AwareDatetime
    high: float


class AccountAlertState(BaseModel):
    account_id: str
    # The band with hysteresis applied; None before the first evaluation.
    alert_band: Band | None = None
    last_score: float | None = None
    last_evaluated_at: AwareDatetime | None = None
    score_history: list[ScoreBucket] = Field(default_factory=list)
    kinds: dict[AlertKind, KindState] = Field(default_factory=dict)

    def kind(self, kind: AlertKind) -> KindState:
        return self.kinds.get(kind) or _INACTIVE


# Shared by every kind without an episode; like all states here, never changed in place.
_INACTIVE = KindState()


def hysteretic_band(previous: Band | None, band: Band, score: float, rules: AlertRules) -> Band:
    """The band alerts reason about: worsening is immediate, improving needs the margin.

    An account leaves at_risk for healthy only at `healthy_from + margin`, and
    leaves critical only at `at_risk_from + margin`.
    """
    if previous is None or BAND_RANK[band] >= BAND_RANK[previous]:
        return band
    if score >= rules.healthy_from + rules.band_exit_margin:
        return Band.HEALTHY
    if previous is Band.CRITICAL and score >= rules.at_risk_from + rules.band_exit_margin:
        return Band.AT_RISK
    return previous


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def record_score(
    history: list[ScoreBucket], now: datetime, score: float, rules: AlertRules
) -> list[ScoreBucket]:
    """`history` with `score` added at `now`, and buckets older than the window dropped.

    A bucket is kept while any part of it overlaps the window, so the window
    peak may look up to one bucket width (window / HISTORY_BUCKETS) further back.
    """
    width = rules.score_drop_window / HISTORY_BUCKETS
    start = _EPOCH + width * ((now - _EPOCH) // width)
    horizon = now - rules.score_drop_window - width
    if history and history[-1].start > start:  # the clock went back: not the usual append
        return _record_in_any_order(history, start, horizon, score)
    # History is kept in start order, one bucket per start, so the old buckets
    # are a prefix and the current one can only be the last.
    first = 0
    while first < len(history) and not history[first].start > horizon:
        first += 1
    kept = history[first:]
    if kept and kept[-1].start == start:
        if not kept[-1].high > score:
            kept[-1] = ScoreBucket(start=kept[-1].start, high=score)
    else:
        kept.append(ScoreBucket(start=start, high=score))
    # Buckets are never changed in place, so unchanged ones are shared with `history`.
    return kept[-(HISTORY_BUCKETS + 1) :]


def _record_in_any_order(
    history: list[ScoreBucket], start: datetime, horizon: datetime, score: float
) -> list[ScoreBucket]:
    """What `record_score` does, for a history in any order: add, drop the old ones, sort."""
    by_start = {bucket.start: bucket for bucket in history if bucket.start > horizon}
    current = by_start.get(start)
    if current is None:
        by_start[start] = ScoreBucket(start=start, high=score)
    elif not current.high > score:
        by_start[start] = ScoreBucket(start=current.start, high=score)
    kept = sorted(by_start.items(), key=itemgetter(0))[-(HISTORY_BUCKETS + 1) :]
    return [_bucket_at(bucket_start, bucket) for bucket_start, bucket in kept]


def _bucket_at(start: datetime, bucket: ScoreBucket) -> ScoreBucket:
    """`bucket`, dated by the first of the buckets that shared its start (as `dict` keeps it)."""
    return bucket if bucket.start is start else ScoreBucket(start=start, high=bucket.high)


def window_peak(history: list[ScoreBucket]) -> float | None:
    return max([bucket.high for bucket in history], default=None)


def held_for(since: datetime | None, now: datetime, duration: timedelta) -> bool:
    return since is not None and now - since >= duration
