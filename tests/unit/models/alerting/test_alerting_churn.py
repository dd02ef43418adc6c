"""A churned account leaves alerting: its open alerts resolve with reason `churned`,
nothing fires while it stays churned, and a resurrected account alerts again."""

from __future__ import annotations

import json
from datetime import date, timedelta

from models.alerting.evaluate import evaluate_alerts
from models.alerting.event import AlertEvent, AlertKind, AlertStatus, ResolveReason
from models.alerting.state import AccountAlertState, Phase
from models.health import Health
from models.lifecycle.status import ChurnEpisode, Lifecycle, LifecycleStatus
from tests.unit.models.alerting.test_alerting import RULES, T0, health

CHURN_DAY = date(2025, 3, 2)
CHURNED = Lifecycle(
    status=LifecycleStatus.CHURNED,
    churned_on=CHURN_DAY,
    arr_lost=12_900,
    churns=1,
    episodes=[ChurnEpisode(churned_on=CHURN_DAY, arr_lost=12_900)],
)
BACK = Lifecycle(
    status=LifecycleStatus.RESURRECTED,
    churned_on=CHURN_DAY,
    arr_lost=12_900,
    resurrected_on=date(2025, 3, 20),
    churns=1,
    episodes=[
        ChurnEpisode(churned_on=CHURN_DAY, arr_lost=12_900, resurrected_on=date(2025, 3, 20))
    ],
)
RENEWAL = T0.date() + timedelta(days=20)
# The kinds a declining account raises (expansion_opportunity is good news).
RISKS = {AlertKind.BAND_ENTERED, AlertKind.SCORE_DROP, AlertKind.RENEWAL_RISK}


def at(score: float, lifecycle: Lifecycle | None = None) -> Health:
    return health(score, renewal=RENEWAL).model_copy(update={"lifecycle": lifecycle})


def feed(
    steps: list[tuple[int, Health]], state: AccountAlertState | None = None
) -> tuple[AccountAlertState | None, list[AlertEvent]]:
    events: list[AlertEvent] = []
    for minute, evaluated in steps:
        state, emitted = evaluate_alerts(state, evaluated, T0 + timedelta(minutes=minute), RULES)
        events.extend(emitted)
    return state, events


def firing_everything() -> AccountAlertState | None:
    """An account whose band_entered, score_drop and renewal_risk alerts are all open."""
    state, events = feed([(0, at(90)), (1, at(30)), (20, at(30))])
    assert {e.kind for e in events if e.status is AlertStatus.FIRING} == RISKS
    return state


def test_every_open_alert_resolves_at_once_with_reason_churned() -> None:
    state, events = feed([(21, at(25, CHURNED))], firing_everything())
    assert {e.kind for e in events} == RISKS
    for event in events:
        assert event.status is AlertStatus.RESOLVED
        assert event.reason is ResolveReason.CHURNED
        assert event.summary == (
            "Resolved: Acme Corp churned (12,900 ARR lost) and has left the active portfolio."
        )
    assert state is not None
    assert all(kind.phase is Phase.INACTIVE for kind in state.kinds.values())


def test_a_resolve_whose_condition_cleared_says_so() -> None:
    _, events = feed([(21, at(95))], firing_everything())
    resolved = [e for e in events if e.status is AlertStatus.RESOLVED]
    assert resolved and all(e.reason is ResolveReason.CLEARED for e in resolved)
    assert all(e.reason is None for e in feed([(0, at(90)), (1, at(30)), (20, at(30))])[1])


def test_a_churned_account_raises_nothing_however_bad_and_pending_alerts_are_dropped() -> None:
    state, events = feed([(0, at(90)), (1, at(30)), (5, at(20, CHURNED))])
    assert events == []
    assert state is not None and not state.kinds
    _, events = feed([(60 * h, at(10, CHURNED)) for h in range(1, 72)], state)
    assert events == []


def test_a_resurrected_account_alerts_again() -> None:
    state, _ = feed([(21, at(25, CHURNED))], firing_everything())
    _, events = feed([(30, at(30, BACK)), (50, at(30, BACK))], state)
    fired = [e for e in events if e.status is AlertStatus.FIRING]
    assert {e.kind for e in fired} >= {AlertKind.BAND_ENTERED, AlertKind.RENEWAL_RISK}
    assert all(e.event_id.split(":")[2] == "2" for e in fired), "a second episode"


def test_an_alert_event_published_before_reasons_still_validates() -> None:
    _, events = feed([(21, at(25, CHURNED))], firing_everything())
    stored = json.loads(events[0].model_dump_json())
    del stored["reason"]
    assert AlertEvent.model_validate(stored).reason is None
