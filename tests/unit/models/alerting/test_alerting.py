"""The alert state machine: pending, hysteresis, one open alert per key, reminders, resolve."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from models.alerting.evaluate import evaluate_alerts
from models.alerting.event import AlertEvent, AlertKind, AlertStatus, Severity
from models.alerting.rules import AlertRules
from models.alerting.state import (
    HISTORY_BUCKETS,
    AccountAlertState,
    Phase,
    ScoreBucket,
    record_score,
)
from models.health import Band, Driver, Health

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RULES = AlertRules()


def health(score: float, *, renewal: date | None = None, arr: float | None = 50_000) -> Health:
    band = Band.HEALTHY if score >= 70 else Band.AT_RISK if score >= 40 else Band.CRITICAL
    return Health(
        account_id="acme",
        score=score,
        band=band,
        components={"engagement": score},
        drivers=[Driver(code="no_login", text="No login for 9 days", impact=-12, component="e")],
        confidence=1.0,
        updated_at=T0,
        model_version="test-1",
        name="Acme Corp",
        segment="enterprise",
        arr=arr,
        renewal_date=renewal,
    )


def run(
    steps: Iterable[tuple[timedelta, float]],
    rules: AlertRules = RULES,
    state: AccountAlertState | None = None,
    **health_fields: object,
) -> tuple[AccountAlertState | None, list[AlertEvent]]:
    events: list[AlertEvent] = []
    for offset, score in steps:
        state, emitted = evaluate_alerts(state, health(score, **health_fields), T0 + offset, rules)  # type: ignore[arg-type]
        events.extend(emitted)
    return state, events


def minutes(*pairs: tuple[int, float]) -> list[tuple[timedelta, float]]:
    return [(timedelta(minutes=m), score) for m, score in pairs]


def of_kind(events: list[AlertEvent], kind: AlertKind = AlertKind.BAND_ENTERED) -> list[AlertEvent]:
    return [e for e in events if e.kind is kind]


def statuses(events: list[AlertEvent], kind: AlertKind = AlertKind.BAND_ENTERED) -> list[str]:
    return [e.status.value for e in events if e.kind is kind]


def test_condition_fires_only_after_holding_for_the_pending_time() -> None:
    state, events = run(minutes((0, 80), (1, 60), (15, 60)))
    assert events == []
    state, events = run(minutes((16, 60)), state=state)
    [fired] = of_kind(events)
    assert fired.status is AlertStatus.FIRING
    assert fired.kind is AlertKind.BAND_ENTERED
    assert (fired.band, fired.previous_band) == (Band.AT_RISK, Band.HEALTHY)
    assert fired.baseline_score == 80
    assert fired.dedup_key == "acme:band_entered"
    assert fired.event_id == "acme:band_entered:1:firing:0"
    assert fired.summary == "Acme Corp is at risk with a health score of 60 (was healthy)."


def test_pending_condition_that_clears_emits_nothing_and_restarts() -> None:
    _, events = run(minutes((0, 60), (5, 80), (10, 60), (24, 60)))
    assert events == []
    _, events = run(minutes((0, 60), (5, 80), (10, 60), (25, 60)))
    assert statuses(events) == ["firing"]


def test_leaving_a_band_needs_the_margin() -> None:
    state, events = run(minutes((0, 60), (15, 60), (20, 71), (25, 72.9)))
    assert statuses(events) == ["firing"]
    state, events = run(minutes((30, 73)), state=state)
    [resolved] = events
    assert resolved.status is AlertStatus.RESOLVED
    assert (resolved.band, resolved.previous_band) == (Band.HEALTHY, Band.AT_RISK)
    assert resolved.episode_started_at == T0 + timedelta(minutes=15)
    assert state is not None
    assert all(k.phase is Phase.INACTIVE for k in state.kinds.values()), "nothing left open"


def test_escalation_updates_the_open_episode_instead_of_opening_another() -> None:
    _, events = run(minutes((0, 60), (15, 60), (20, 35), (34, 38), (35, 38), (40, 30)))
    assert statuses(events) == ["firing", "repeated"]
    fired, escalated = of_kind(events)
    assert escalated.dedup_key == fired.dedup_key
    assert escalated.episode_started_at == fired.episode_started_at
    assert (escalated.band, escalated.previous_band) == (Band.CRITICAL, Band.AT_RISK)
    assert escalated.severity.rank > fired.severity.rank
    assert escalated.summary.startswith("Escalated: ")


def test_resolve_carries_the_highest_severity_of_the_episode() -> None:
    steps = minutes((0, 60), (15, 60), (20, 30), (35, 30), (50, 80))
    _, events = run(steps, arr=500_000)
    assert statuses(events) == ["firing", "repeated", "resolved"]
    assert [e.severity for e in of_kind(events)] == [
        Severity.ERROR,
        Severity.CRITICAL,
        Severity.CRITICAL,
    ]


def test_reminders_only_at_the_repeat_interval() -> None:
    hourly = [(timedelta(hours=h), 55.0) for h in range(0, 72)]
    _, events = run(hourly)
    assert statuses(events) == ["firing", "repeated", "repeated"]
    assert [e.at - T0 for e in events] == [timedelta(hours=h) for h in (1, 25, 49)]
    assert [e.event_id.rsplit(":", 2)[-2:] for e in events] == [
        ["firing", "0"],
        ["repeated", "1"],
        ["repeated", "2"],
    ]


def test_flapping_around_a_band_edge_fires_at_most_once_and_resolves_at_most_once() -> None:
    flapping = [(timedelta(minutes=m), 68.0 + (m * 7 % 5)) for m in range(60)]
    _, events = run([*flapping, (timedelta(minutes=61), 90.0)])
    assert statuses(events) == ["firing", "resolved"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=68, max_value=72), min_size=60, max_size=60))
def test_any_oscillation_between_68_and_72_for_an_hour_gives_one_firing_at_most(
    scores: list[float],
) -> None:
    _, events = run((timedelta(minutes=m), s) for m, s in enumerate(scores))
    assert statuses(events).count("firing") <= 1
    assert statuses(events).count("resolved") <= 1
    assert all(e.kind is AlertKind.BAND_ENTERED for e in events)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=1, max_value=600), st.floats(min_value=0, max_value=100)),
        max_size=80,
    )
)
def test_one_open_alert_per_key_whatever_the_scores(steps: list[tuple[int, float]]) -> None:
    elapsed = 0
    timeline = []
    for gap, score in steps:
        elapsed += gap
        timeline.append((timedelta(minutes=elapsed), score))
    _, events = run(timeline, renewal=date(2025, 4, 1))
    assert len({e.event_id for e in events}) == len(events)
    for kind in AlertKind:
        open_episode = False
        for status in statuses(events, kind):
            assert (status == "firing") != open_episode
            open_episode = status != "resolved"


def test_score_drop_fires_from_the_window_peak_and_resolves_on_recovery() -> None:
    steps = [(timedelta(days=d), 88.0) for d in range(3)]
    steps += [(timedelta(days=3), 72.0), (timedelta(days=3, minutes=15), 72.0)]
    state, events = run(steps)
    [drop] = [e for e in events if e.kind is AlertKind.SCORE_DROP]
    assert drop.status is AlertStatus.FIRING
    assert drop.baseline_score == 88
    assert drop.summary == (
        "Acme Corp's health score fell 16 points within 7 days, from 88 to 72 (healthy)."
    )
    state, events = run([(timedelta(days=3, hours=1), 77.0)], state=state)
    assert statuses(events, AlertKind.SCORE_DROP) == ["resolved"]


def test_score_drop_resolves_once_the_peak_leaves_the_window() -> None:
    steps = [(timedelta(0), 90.0), (timedelta(hours=1), 74.0), (timedelta(hours=2), 74.0)]
    steps += [(timedelta(days=d), 74.0) for d in range(1, 9)]
    _, events = run(steps)
    drop_events = [e for e in of_kind(events, AlertKind.SCORE_DROP) if e.status != "repeated"]
    assert [e.status for e in drop_events] == ["firing", "resolved"]
    assert drop_events[-1].at - T0 >= RULES.score_drop_window


def test_renewal_risk_needs_a_near_renewal_and_an_unhealthy_band() -> None:
    soon, far = date(2025, 4, 15), date(2025, 9, 1)
    _, events = run(minutes((0, 60), (15, 60)), renewal=far)
    assert statuses(events, AlertKind.RENEWAL_RISK) == []
    _, events = run(minutes((0, 90), (15, 90)), renewal=soon)
    assert statuses(events, AlertKind.RENEWAL_RISK) == []
    state, events = run(minutes((0, 60), (15, 60)), renewal=soon)
    [risk] = [e for e in events if e.kind is AlertKind.RENEWAL_RISK]
    assert risk.summary == "Acme Corp is at risk (score 60) and renews in 45 days (2025-04-15)."
    _, events = run([(timedelta(days=46), 60.0)], state=state, renewal=soon)
    assert statuses(events, AlertKind.RENEWAL_RISK) == ["resolved"]


def test_keep_firing_for_delays_the_resolve() -> None:
    rules = AlertRules(keep_firing_for=timedelta(minutes=10))
    _, events = run(minutes((0, 60), (15, 60), (20, 80), (25, 60), (30, 80), (39, 80)), rules)
    assert statuses(events) == ["firing"]
    _, events = run(minutes((0, 60), (15, 60), (20, 80), (30, 80)), rules)
    assert statuses(events) == ["firing", "resolved"]


def test_zero_pending_time_fires_on_the_first_evaluation() -> None:
    _, events = run(minutes((0, 50)), AlertRules(pending_for=timedelta(0)))
    assert statuses(events) == ["firing"]


def test_state_round_trips_through_json_and_replays_identically() -> None:
    steps = minutes((0, 85), (10, 65), (25, 65), (40, 35), (70, 36))
    state, events = run(steps, renewal=date(2025, 3, 20))
    assert state is not None
    stored = json.loads(json.dumps(state.model_dump(mode="json")))
    assert AccountAlertState.model_validate(stored) == state
    again_state, again_events = run(steps, renewal=date(2025, 3, 20))
    assert again_events == events and again_state == state
    later = minutes((24 * 60 + 70, 36))
    assert (
        run(later, state=AccountAlertState.model_validate(stored))[1] == run(later, state=state)[1]
    )


def test_score_history_stays_bounded() -> None:
    every_ten_minutes = [(timedelta(minutes=10 * i), 50.0 + i % 40) for i in range(6 * 24 * 30)]
    state, _ = run(every_ten_minutes)
    assert state is not None
    assert len(state.score_history) <= HISTORY_BUCKETS + 1
    assert len(json.dumps(state.model_dump(mode="json"))) < 8_000


def test_state_of_another_account_is_rejected() -> None:
    state = AccountAlertState(account_id="other")
    try:
        evaluate_alerts(state, health(50), T0, RULES)
    except ValueError as error:
        assert "other" in str(error)
    else:
        raise AssertionError("expected ValueError")


def test_a_score_built_from_too_little_data_raises_no_alert() -> None:
    rules = AlertRules(pending_for=timedelta(0))
    neutral = health(50).model_copy(update={"confidence": 0.0, "drivers": []})
    state, events = evaluate_alerts(None, neutral, T0, rules)
    assert events == []
    _, events = evaluate_alerts(state, health(50), T0 + timedelta(minutes=1), rules)
    assert statuses(events) == ["firing"]


def test_a_score_from_too_little_data_is_no_baseline_for_a_drop() -> None:
    rules = AlertRules(pending_for=timedelta(0))
    neutral = health(90).model_copy(update={"confidence": 0.0})
    state, _ = evaluate_alerts(None, neutral, T0, rules)
    _, events = evaluate_alerts(state, health(60), T0 + timedelta(minutes=1), rules)
    assert of_kind(events, AlertKind.SCORE_DROP) == []


def test_each_new_episode_of_a_key_gets_new_event_ids() -> None:
    rules = AlertRules(pending_for=timedelta(0))
    _, events = run(minutes((0, 50), (1, 90), (2, 50), (3, 90)), rules=rules)
    assert [e.event_id for e in of_kind(events)] == [
        "acme:band_entered:1:firing:0",
        "acme:band_entered:1:resolved:1",
        "acme:band_entered:2:firing:0",
        "acme:band_entered:2:resolved:1",
    ]


def test_replaying_from_saved_state_at_another_time_gives_the_same_ids() -> None:
    rules = AlertRules(pending_for=timedelta(0))
    saved, _ = run(minutes((0, 90)), rules=rules)
    _, first = run(minutes((5, 50)), rules=rules, state=saved)
    _, replayed = run(minutes((7, 50)), rules=rules, state=saved)  # after a crash, later
    assert [e.event_id for e in first] == [e.event_id for e in replayed]


def recorded_the_plain_way(
    history: list[ScoreBucket], now: datetime, score: float
) -> list[tuple[datetime, float]]:
    """record_score as the docstring puts it: add, drop what left the window, keep the newest."""
    width = RULES.score_drop_window / HISTORY_BUCKETS
    start = EPOCH + width * ((now - EPOCH) // width)
    horizon = now - RULES.score_drop_window - width
    highs = {b.start: b.high for b in history if b.start > horizon}
    highs[start] = max(highs.get(start, score), score)
    return sorted(highs.items())[-(HISTORY_BUCKETS + 1) :]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=-3 * 3600, max_value=2 * 86400), st.floats(0, 100)),
        max_size=60,
    )
)
def test_score_history_keeps_each_bucket_high_in_the_window(steps: list[tuple[int, float]]) -> None:
    """Whether the clock moves on (the usual append) or back, as the plain way does it."""
    history: list[ScoreBucket] = []
    now = T0
    for seconds, score in steps:
        now += timedelta(seconds=seconds)
        expected = recorded_the_plain_way(history, now, score)
        history = record_score(history, now, score, RULES)
        assert [(b.start, b.high) for b in history] == expected
