"""The alert state machine: pure code deciding which alert events a new health produces.

Per account and alert kind (dedup key `account_id:kind`) an episode moves

    inactive --condition holds--> pending --held for `pending_for`--> firing
    firing --condition cleared for `keep_firing_for`--> resolved (back to inactive)

- A pending condition that clears before `pending_for` emits nothing.
- While firing: `repeated` every `repeat_interval` (a reminder), and at once
  (after `pending_for`) when the account got worse than anything notified in
  the episode -- a worse band (at_risk -> critical) or a higher severity. An
  escalation updates the open episode; it never opens a second one.
- Bands use hysteresis (`hysteretic_band`), so a score oscillating around a
  band edge fires at most once and does not resolve until it clears the margin.
- `expansion_opportunity` (only with `rules.expansion_opportunity`) holds while
  the account is an expansion candidate (`health.growth`) and healthy; it is
  always `info` and carries the growth signals as its drivers.
- A churned account (`health.lifecycle`) has left the active portfolio: every
  firing episode resolves at once with reason `churned`, a pending one is
  dropped, and nothing fires until it is resurrected.

Time comes only from `now`; health is also re-evaluated on a schedule, so
pending conditions mature on re-evaluation without new events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from models.alerting.event import (
    AlertEvent,
    AlertKind,
    AlertStatus,
    ResolveReason,
    Severity,
    dedup_key,
)
from models.alerting.rules import AlertRules, alert_severity
from models.alerting.state import (
    BAND_RANK,
    AccountAlertState,
    KindState,
    Phase,
    held_for,
    hysteretic_band,
    record_score,
    window_peak,
)
from models.alerting.text import SummaryFacts, summarize
from models.health import Band, Health

_KINDS = tuple(AlertKind)


@dataclass(slots=True)  # not frozen: built on every evaluation, and frozen ones cost 4x to build
class _Evaluation:
    """Everything one evaluation derives once and every alert kind reads (never changed)."""

    health: Health
    now: datetime
    today: date
    rules: AlertRules
    band: Band
    previous_band: Band | None
    previous_score: float | None
    window_peak: float
    # Whether the health is built from enough data to alert on at all.
    trusted: bool
    # Whether the account has churned: then nothing is open, nothing fires.
    churned: bool

    def severity(self, kind: AlertKind) -> Severity:
        """Computed when asked: only an alert that fires, escalates or resolves needs it.
        An opportunity is always `info`: news to act on, never an incident."""
        if kind is AlertKind.EXPANSION_OPPORTUNITY:
            return Severity.INFO
        return alert_severity(
            self.band, self.health.arr, self.health.renewal_date, self.today, self.rules
        )


def evaluate_alerts(
    state: AccountAlertState | None, health: Health, now: datetime, rules: AlertRules
) -> tuple[AccountAlertState, list[AlertEvent]]:
    """Fold one health evaluation into the account's alert state.

    Returns the new state (the input is not modified) and the alert events to
    publish, in a deterministic order.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    current = state or AccountAlertState(account_id=health.account_id)
    if current.account_id != health.account_id:
        raise ValueError(f"alert state of {current.account_id!r} given health of another account")
    band = hysteretic_band(current.alert_band, health.band, health.score, rules)
    # A score from too little data is no baseline for a later drop.
    trusted = health.confidence >= rules.min_confidence
    history = (
        record_score(current.score_history, now, health.score, rules)
        if trusted
        else current.score_history
    )
    today = now.astimezone(UTC).date()
    evaluation = _Evaluation(
        health=health,
        now=now,
        today=today,
        rules=rules,
        band=band,
        previous_band=current.alert_band,
        previous_score=current.last_score,
        window_peak=window_peak(history) or health.score,
        trusted=trusted,
        churned=health.current_lifecycle.churned,
    )
    kinds: dict[AlertKind, KindState] = {}
    events: list[AlertEvent] = []
    for kind in _KINDS:
        kind_state, emitted = _step(kind, current.kind(kind), evaluation)
        if kind_state.phase is not Phase.INACTIVE or kind_state.episode:
            kinds[kind] = kind_state
        events.extend(emitted)
    new_state = AccountAlertState(
        account_id=current.account_id,
        alert_band=band,
        last_score=health.score,
        last_evaluated_at=now,
        score_history=history,
        kinds=kinds,
    )
    return new_state, events


def _condition_holds(kind: AlertKind, episode: KindState, ev: _Evaluation) -> bool:
    if not ev.trusted:
        return False
    if kind is AlertKind.BAND_ENTERED:
        return ev.band is not Band.HEALTHY
    if kind is AlertKind.EXPANSION_OPPORTUNITY:
        growth = ev.health.growth
        # Healthy with hysteresis too, so an open opportunity never "escalates" by band.
        return (
            ev.rules.expansion_opportunity
            and growth is not None
            and growth.candidate
            and ev.band is Band.HEALTHY
        )
    if kind is AlertKind.SCORE_DROP:
        drop = ev.window_peak - ev.health.score
        needed = ev.rules.score_drop_points
        if episode.phase is Phase.FIRING:
            needed -= ev.rules.score_drop_clear_margin
        return drop >= needed
    renewal = ev.health.renewal_date
    if renewal is None or ev.band is Band.HEALTHY:
        return False
    return 0 <= (renewal - ev.today).days <= ev.rules.renewal_within_days


def _step(
    kind: AlertKind, episode: KindState, ev: _Evaluation
) -> tuple[KindState, list[AlertEvent]]:
    if ev.churned:
        if episode.phase is Phase.FIRING:
            return _resolve(kind, episode, ev, ResolveReason.CHURNED)
        return (
            episode if episode.phase is Phase.INACTIVE else KindState(episode=episode.episode)
        ), []
    holds = _condition_holds(kind, episode, ev)
    if episode.phase is Phase.INACTIVE:
        if not holds:
            return episode, []
        baseline = ev.previous_score if ev.previous_score is not None else ev.health.score
        episode = KindState(
            phase=Phase.PENDING,
            episode=episode.episode,
            pending_since=ev.now,
            previous_band=ev.previous_band,
            baseline_score=baseline,
        )
    if episode.phase is Phase.PENDING:
        if not holds:
            return KindState(episode=episode.episode), []
        if not held_for(episode.pending_since, ev.now, ev.rules.pending_for):
            return episode, []
        return _fire(kind, episode, ev)
    if not holds:
        return _clear(kind, episode, ev)
    return _while_firing(kind, episode, ev)


def _fire(
    kind: AlertKind, episode: KindState, ev: _Evaluation
) -> tuple[KindState, list[AlertEvent]]:
    baseline = ev.window_peak if kind is AlertKind.SCORE_DROP else episode.baseline_score
    severity = ev.severity(kind)
    fired = episode.model_copy(
        update={
            "phase": Phase.FIRING,
            "episode": episode.episode + 1,
            "episode_started_at": ev.now,
            "last_notified_at": ev.now,
            "seq": 1,
            "peak_severity": severity,
            "peak_band": ev.band,
            "baseline_score": baseline,
        }
    )
    event = _event(
        kind,
        AlertStatus.FIRING,
        fired,
        ev,
        seq=0,
        severity=severity,
        previous_band=episode.previous_band,
        baseline=baseline,
    )
    return fired, [event]


def _clear(
    kind: AlertKind, episode: KindState, ev: _Evaluation
) -> tuple[KindState, list[AlertEvent]]:
    clear_since = episode.clear_since or ev.now
    if not held_for(clear_since, ev.now, ev.rules.keep_firing_for):
        return episode.model_copy(update={"clear_since": clear_since}), []
    return _resolve(kind, episode, ev, ResolveReason.CLEARED)


def _resolve(
    kind: AlertKind, episode: KindState, ev: _Evaluation, reason: ResolveReason
) -> tuple[KindState, list[AlertEvent]]:
    event = _event(
        kind,
        AlertStatus.RESOLVED,
        episode,
        ev,
        seq=episode.seq,
        severity=episode.peak_severity or ev.severity(kind),
        previous_band=episode.peak_band,
        baseline=episode.baseline_score,
        reason=reason,
    )
    return KindState(episode=episode.episode), [event]


def _while_firing(
    kind: AlertKind, episode: KindState, ev: _Evaluation
) -> tuple[KindState, list[AlertEvent]]:
    """The condition holds again: any wait to resolve (`clear_since`) is over."""
    severity = ev.severity(kind)
    peak_severity = episode.peak_severity or severity
    peak_band = episode.peak_band or ev.band
    worse = severity.rank > peak_severity.rank or BAND_RANK[ev.band] > BAND_RANK[peak_band]
    escalating_since = (episode.escalating_since or ev.now) if worse else None
    escalate = worse and held_for(escalating_since, ev.now, ev.rules.pending_for)
    remind = held_for(episode.last_notified_at, ev.now, ev.rules.repeat_interval)
    if not (escalate or remind):
        if episode.clear_since is None and episode.escalating_since is escalating_since:
            return episode, []  # nothing to note: spare the copy
        update = {"clear_since": None, "escalating_since": escalating_since}
        return episode.model_copy(update=update), []
    baseline = ev.window_peak if kind is AlertKind.SCORE_DROP else episode.baseline_score
    previous_band = peak_band if escalate else episode.previous_band
    event = _event(
        kind,
        AlertStatus.REPEATED,
        episode,
        ev,
        seq=episode.seq,
        severity=severity,
        previous_band=previous_band,
        baseline=baseline,
        escalated=escalate,
    )
    updated = episode.model_copy(
        update={
            "last_notified_at": ev.now,
            "seq": episode.seq + 1,
            "clear_since": None,
            "escalating_since": None,
            "peak_severity": max(peak_severity, severity, key=lambda s: s.rank),
            "peak_band": max(peak_band, ev.band, key=BAND_RANK.__getitem__),
        }
    )
    return updated, [event]


def _event(
    kind: AlertKind,
    status: AlertStatus,
    episode: KindState,
    ev: _Evaluation,
    *,
    seq: int,
    severity: Severity,
    previous_band: Band | None,
    baseline: float | None,
    escalated: bool = False,
    reason: ResolveReason | None = None,
) -> AlertEvent:
    health = ev.health
    started = episode.episode_started_at or ev.now
    key = dedup_key(health.account_id, kind)
    # An opportunity is explained by its growth signals, a risk by the score's drivers.
    opportunity = kind is AlertKind.EXPANSION_OPPORTUNITY
    growth = health.growth if opportunity else None
    drivers = health.drivers if not opportunity else growth.drivers if growth is not None else []
    facts = SummaryFacts(
        name=health.name or health.account_id,
        kind=kind,
        status=status,
        score=health.score,
        band=ev.band,
        previous_band=previous_band,
        baseline_score=baseline,
        renewal_date=health.renewal_date,
        today=ev.today,
        drop_window_days=max(1, ev.rules.score_drop_window.days),
        escalated=escalated,
        reason=reason,
        arr_lost=health.current_lifecycle.arr_lost,
        growth_strength=growth.strength if growth is not None else None,
    )
    return AlertEvent(
        event_id=f"{key}:{episode.episode}:{status.value}:{seq}",
        dedup_key=key,
        account_id=health.account_id,
        kind=kind,
        status=status,
        severity=severity,
        score=health.score,
        baseline_score=baseline,
        band=ev.band,
        previous_band=previous_band,
        drivers=list(drivers),
        name=health.name,
        segment=health.segment,
        region=health.region,
        csm_owner=health.csm_owner,
        arr=health.arr,
        renewal_date=health.renewal_date,
        episode_started_at=started,
        at=ev.now,
        model_version=health.model_version,
        summary=summarize(facts),
        reason=reason,
        growth_strength=facts.growth_strength,
    )
