"""expansion_opportunity: off by default; when on, it fires when an account becomes an
expansion candidate, resolves when it stops being one, and is always `info`."""

from __future__ import annotations

from datetime import timedelta

from models.alerting.evaluate import evaluate_alerts
from models.alerting.event import AlertEvent, AlertKind, AlertStatus, ResolveReason, Severity
from models.alerting.routing import DEFAULT_ROUTES, Routes
from models.alerting.rules import AlertRules
from models.alerting.state import AccountAlertState, Phase
from models.health import Growth, Health
from tests.support.growth_history import SAMPLE_GROWTH, SAMPLE_SIGNALS
from tests.unit.models.alerting.test_alerting import RULES, T0, health
from tests.unit.models.alerting.test_alerting_churn import CHURNED

ON = RULES.model_copy(update={"expansion_opportunity": True})
OPPORTUNITY = AlertKind.EXPANSION_OPPORTUNITY
WEAK = SAMPLE_SIGNALS[:1]


def grown(
    score: float = 85, candidate: bool = True, *, arr: float = 500_000, **changes: object
) -> Health:
    """A health with growth: a candidate of strength 80 by default, else one signal's 30."""
    growth = SAMPLE_GROWTH if candidate else Growth(candidate=False, strength=30, drivers=WEAK)
    return health(score, arr=arr, renewal=T0.date() + timedelta(days=10)).model_copy(
        update={"growth": growth, **changes}
    )


def feed(
    steps: list[tuple[int, Health]],
    rules: AlertRules = ON,
    state: AccountAlertState | None = None,
) -> tuple[AccountAlertState | None, list[AlertEvent]]:
    """Evaluate each (minutes after T0, health) in turn; the expansion events only."""
    events: list[AlertEvent] = []
    for minute, evaluated in steps:
        state, emitted = evaluate_alerts(state, evaluated, T0 + timedelta(minutes=minute), rules)
        events.extend(e for e in emitted if e.kind is OPPORTUNITY)
    return state, events


def test_off_by_default_a_candidate_raises_nothing() -> None:
    assert RULES.expansion_opportunity is False
    state, events = feed([(0, grown()), (20, grown()), (60 * 30, grown())], RULES)
    assert events == []
    assert state is not None and OPPORTUNITY not in state.kinds


def test_on_it_fires_once_the_account_is_a_candidate_for_pending_for() -> None:
    _, events = feed([(0, grown()), (10, grown()), (15, grown()), (20, grown())])
    assert [e.status for e in events] == [AlertStatus.FIRING]
    fired = events[0]
    assert fired.status is AlertStatus.FIRING and fired.at == T0 + timedelta(minutes=15)
    assert fired.dedup_key == "acme:expansion_opportunity"
    assert fired.severity is Severity.INFO  # large, renewing in 10 days: still no incident
    assert fired.growth_strength == 80
    assert fired.drivers == SAMPLE_SIGNALS  # its growth signals, not the score's drivers
    assert fired.top_drivers() == SAMPLE_SIGNALS
    assert fired.summary == (
        "Acme Corp is an expansion candidate: growth strength 80 of 100, healthy with a "
        "health score of 85."
    )


def test_it_resolves_when_the_account_stops_being_a_candidate() -> None:
    state, events = feed([(0, grown()), (15, grown()), (30, grown(candidate=False))])
    assert [e.status for e in events] == [AlertStatus.FIRING, AlertStatus.RESOLVED]
    resolved = events[1]
    assert resolved.reason is ResolveReason.CLEARED
    assert resolved.severity is Severity.INFO
    assert resolved.summary == (
        "Resolved: Acme Corp is no longer an expansion candidate (growth strength 30, "
        "health score 85, healthy)."
    )
    assert state is not None and state.kind(OPPORTUNITY).phase is Phase.INACTIVE


def test_a_candidate_that_slips_out_of_the_healthy_band_resolves_and_waits_for_the_margin() -> None:
    # 65 is at risk: the candidate flag would be off anyway; 71 is healthy again but
    # within the hysteresis margin (73), so the alert band still says at risk.
    steps = [(0, grown()), (15, grown()), (30, grown(65, False)), (45, grown(71)), (61, grown(71))]
    state, events = feed(steps)
    assert [e.status for e in events] == [AlertStatus.FIRING, AlertStatus.RESOLVED]
    _, later = feed([(62, grown(75)), (78, grown(75))], state=state)
    assert [e.status for e in later] == [AlertStatus.FIRING]


def test_a_reminder_repeats_while_it_stays_a_candidate() -> None:
    day = 24 * 60
    _, events = feed([(0, grown()), (15, grown()), (15 + day, grown())])
    assert [e.status for e in events] == [AlertStatus.FIRING, AlertStatus.REPEATED]
    assert events[1].summary.startswith("Still open: Acme Corp is an expansion candidate")
    assert events[1].severity is Severity.INFO


def test_a_churned_candidate_resolves_with_reason_churned() -> None:
    state, events = feed([(0, grown()), (15, grown())])
    assert [e.status for e in events] == [AlertStatus.FIRING]
    _, gone = feed([(20, grown(85, False, lifecycle=CHURNED))], state=state)
    assert [(e.status, e.reason) for e in gone] == [(AlertStatus.RESOLVED, ResolveReason.CHURNED)]


def test_a_score_from_too_little_data_raises_no_opportunity() -> None:
    _, events = feed([(0, grown(confidence=0.1)), (20, grown(confidence=0.1))])
    assert events == []


def test_a_health_without_growth_raises_no_opportunity() -> None:
    _, events = feed([(0, health(85)), (20, health(85))])
    assert events == []


def test_routing_rules_by_kind_route_it_and_default_routing_never_pages_it() -> None:
    _, events = feed([(0, grown()), (15, grown())])
    fired = events[0]
    configured = {"slack", "pagerduty", "webhook"}
    assert DEFAULT_ROUTES.sinks_for(fired, configured) == ["slack", "webhook"]
    routes = Routes.model_validate(
        {
            "routes": [
                {"match": {"kind": "expansion_opportunity"}, "sinks": ["slack"]},
                {"match": {"min_severity": "info"}, "sinks": ["pagerduty"]},
            ]
        }
    )
    assert routes.sinks_for(fired, configured) == ["slack"]
