"""Routing alerts to sinks: the default policy and YAML rules."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.alerting.event import AlertEvent, AlertKind, AlertStatus, Severity
from models.alerting.routing import DEFAULT_ROUTES, RoutesError, load_routes
from models.health import Band

ALL_SINKS = {"slack", "pagerduty", "alertmanager", "webhook"}
AT = datetime(2025, 3, 1, tzinfo=UTC)


def alert(
    severity: Severity = Severity.WARNING,
    kind: AlertKind = AlertKind.BAND_ENTERED,
    status: AlertStatus = AlertStatus.FIRING,
    **profile: str,
) -> AlertEvent:
    return AlertEvent(
        event_id=f"acme:{kind}:x:{status}:0",
        dedup_key=f"acme:{kind}",
        account_id="acme",
        kind=kind,
        status=status,
        severity=severity,
        score=55,
        band=Band.AT_RISK,
        episode_started_at=AT,
        at=AT,
        model_version="1",
        summary="Acme is at risk.",
        **profile,
    )


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "routes.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_without_a_routes_file_everything_goes_everywhere_but_pagerduty_gets_only_critical() -> (
    None
):
    routes = load_routes(None)
    assert routes is DEFAULT_ROUTES
    assert routes.sinks_for(alert(Severity.ERROR), ALL_SINKS) == [
        "slack",
        "alertmanager",
        "webhook",
    ]
    assert routes.sinks_for(alert(Severity.CRITICAL), ALL_SINKS) == [
        "slack",
        "pagerduty",
        "alertmanager",
        "webhook",
    ]


def test_unconfigured_sinks_are_left_out() -> None:
    assert load_routes("").sinks_for(alert(Severity.CRITICAL), {"pagerduty"}) == ["pagerduty"]
    assert load_routes(None).sinks_for(alert(Severity.INFO), {"pagerduty"}) == []


ROUTES_YAML = """
routes:
  - match: {kind: band_entered, min_severity: critical, segment: [Enterprise, strategic]}
    sinks: [pagerduty]
    continue: true
  - match: {csm_owner: dana@example.com}
    sinks: [slack]
  - match: {region: emea, status: [firing, resolved]}
    sinks: [webhook]
default: [alertmanager]
"""


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (alert(Severity.CRITICAL, segment="enterprise"), ["pagerduty"]),
        (
            alert(Severity.CRITICAL, segment="enterprise", csm_owner="dana@example.com"),
            ["slack", "pagerduty"],
        ),
        (alert(Severity.ERROR, segment="enterprise"), ["alertmanager"]),
        (alert(Severity.CRITICAL, AlertKind.SCORE_DROP, segment="enterprise"), ["alertmanager"]),
        (alert(region="EMEA"), ["webhook"]),
        (alert(status=AlertStatus.REPEATED, region="emea"), ["alertmanager"]),
        (alert(csm_owner="dana@example.com", region="emea"), ["slack"]),
    ],
)
def test_yaml_rules_match_in_order(tmp_path: Path, event: AlertEvent, expected: list[str]) -> None:
    assert load_routes(write(tmp_path, ROUTES_YAML)).sinks_for(event, ALL_SINKS) == expected


def test_a_bare_list_is_a_list_of_routes(tmp_path: Path) -> None:
    routes = load_routes(write(tmp_path, "- sinks: [slack]\n"))
    assert routes.sinks_for(alert(), ALL_SINKS) == ["slack"]
    assert routes.referenced_sinks() == {"slack"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("routes:\n  - sinks: [sms]\n", "routes[0].sinks[0]: Input should be 'slack'"),
        (
            "routes:\n  - match: {min_severity: high}\n    sinks: [slack]\n",
            "routes[0].match.min_severity",
        ),
        ("routes:\n  - match: {kind: band}\n    sinks: [slack]\n", "routes[0].match.kind[0]"),
        ("routes:\n  - sinks: [slack]\n    when: always\n", "routes[0].when: Extra inputs"),
        ("routes: [\n", "not valid YAML"),
        ("just text\n", "expected a mapping"),
    ],
)
def test_invalid_routes_name_the_file_and_the_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RoutesError) as raised:
        load_routes(path)
    assert str(raised.value).startswith(f"routes file {path}: ")
    assert message in str(raised.value)


def test_a_missing_routes_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RoutesError, match="cannot read it"):
        load_routes(str(tmp_path / "absent.yaml"))
