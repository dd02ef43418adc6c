"""Alert events for the sink tests, including ones that push every size limit."""

from __future__ import annotations

from datetime import UTC, date, datetime

from models.alerting.event import AlertEvent, AlertKind, AlertStatus, ResolveReason, Severity
from models.health import Band, Driver
from tests.support.growth_history import SAMPLE_SIGNALS

AT = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
STARTED = datetime(2025, 3, 1, 9, 15, tzinfo=UTC)


def sample_alert(
    status: AlertStatus = AlertStatus.FIRING, *, huge: bool = False, **changes: object
) -> AlertEvent:
    text = "x" * 5000 if huge else ""
    drivers = [
        Driver(
            code="champion_silent",
            text="No login by the champion for 23 days",
            impact=-14.5,
            component="engagement",
        ),
        Driver(
            code="urgent_tickets",
            text="3 urgent tickets opened this week <b>&",
            impact=-8,
            component="support",
        ),
        Driver(
            code="nps_promoters", text="NPS +40 from 12 answers", impact=6, component="sentiment"
        ),
    ]
    if huge:
        drivers += [
            Driver(code=f"d{i}", text=f"Driver {i} {text}", impact=-i, component="support")
            for i in range(30)
        ]
    values: dict[str, object] = {
        "event_id": f"acme-42:band_entered:{STARTED.isoformat()}:{status.value}:0",
        "dedup_key": "acme-42:band_entered",
        "account_id": "acme-42",
        "kind": AlertKind.BAND_ENTERED,
        "status": status,
        "severity": Severity.CRITICAL,
        "score": 34.6,
        "baseline_score": 71.0,
        "band": Band.CRITICAL if status is not AlertStatus.RESOLVED else Band.HEALTHY,
        "previous_band": Band.AT_RISK,
        "drivers": drivers,
        "name": f"Acme Corp {text}" if huge else "Acme & Sons <Corp>",
        "segment": "enterprise",
        "region": "emea",
        "csm_owner": "dana@example.com",
        "arr": 250_000.0,
        "renewal_date": date(2025, 4, 15),
        "episode_started_at": STARTED,
        "at": AT,
        "model_version": "2025.03-1",
        "summary": f"Acme Corp is critical with a health score of 35 (was at risk).{text}",
    }
    values.update(changes)
    return AlertEvent.model_validate(values)


def churned_resolve() -> AlertEvent:
    """The resolve an open alert gets when its account churns."""
    return sample_alert(
        AlertStatus.RESOLVED,
        band=Band.CRITICAL,
        reason=ResolveReason.CHURNED,
        summary="Resolved: Acme & Sons <Corp> churned (250,000 ARR lost) and has left the "
        "active portfolio.",
    )


def opportunity_alert(status: AlertStatus = AlertStatus.FIRING) -> AlertEvent:
    """An expansion_opportunity: an account that became an expansion candidate."""
    resolved = status is AlertStatus.RESOLVED
    summary = (
        "Resolved: Acme & Sons <Corp> is no longer an expansion candidate (growth strength "
        "30, health score 82, healthy)."
        if resolved
        else "Acme & Sons <Corp> is an expansion candidate: growth strength 80 of 100, healthy "
        "with a health score of 82."
    )
    return sample_alert(
        status,
        event_id=f"acme-42:expansion_opportunity:1:{status.value}:0",
        dedup_key="acme-42:expansion_opportunity",
        kind=AlertKind.EXPANSION_OPPORTUNITY,
        severity=Severity.INFO,
        score=82.0,
        baseline_score=80.0,
        band=Band.HEALTHY,
        previous_band=Band.HEALTHY,
        drivers=SAMPLE_SIGNALS[:1] if resolved else SAMPLE_SIGNALS,
        growth_strength=30.0 if resolved else 80.0,
        summary=summary,
    )
