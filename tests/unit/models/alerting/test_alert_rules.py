"""Alert thresholds, their validation, and severity from band, ARR and renewal proximity."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from models.alerting.event import AlertEvent, Severity
from models.alerting.rules import AlertRules, alert_severity
from models.health import Band

TODAY = date(2025, 3, 1)
RULES = AlertRules()


def test_defaults_are_the_documented_ones() -> None:
    assert RULES.pending_for == timedelta(minutes=15)
    assert RULES.band_exit_margin == 3
    assert (RULES.score_drop_points, RULES.score_drop_window) == (15, timedelta(days=7))
    assert RULES.renewal_within_days == 90
    assert RULES.repeat_interval == timedelta(hours=24)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("7d", timedelta(days=7)),
        ("PT4H", timedelta(hours=4)),
        (90, timedelta(seconds=90)),
    ],
)
def test_durations_accept_compact_iso_and_seconds(text: object, expected: timedelta) -> None:
    assert AlertRules.model_validate({"repeat_interval": text}).repeat_interval == expected


@pytest.mark.parametrize(
    "fields",
    [
        {"at_risk_from": 70, "healthy_from": 60},
        {"score_drop_points": 5, "score_drop_clear_margin": 5},
        {"repeat_interval": "0s"},
        {"pending_for": -5},
        {"unknown": 1},
    ],
)
def test_inconsistent_rules_are_rejected(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AlertRules.model_validate(fields)


def test_rules_follow_other_band_edges() -> None:
    shifted = RULES.with_band_edges(healthy_from=80, at_risk_from=50)
    assert (shifted.healthy_from, shifted.at_risk_from) == (80, 50)
    assert shifted.pending_for == RULES.pending_for


@pytest.mark.parametrize(
    ("band", "arr", "renewal", "expected"),
    [
        (Band.HEALTHY, None, None, Severity.INFO),
        (Band.AT_RISK, 10_000, None, Severity.WARNING),
        (Band.AT_RISK, 250_000, None, Severity.ERROR),
        (Band.AT_RISK, 250_000, date(2025, 3, 20), Severity.CRITICAL),
        (Band.CRITICAL, 10_000, date(2025, 9, 1), Severity.ERROR),
        (Band.CRITICAL, 10_000, date(2025, 3, 31), Severity.CRITICAL),
        (Band.CRITICAL, 100_000, None, Severity.CRITICAL),
        (Band.CRITICAL, 900_000, TODAY, Severity.CRITICAL),
        (Band.CRITICAL, 10_000, date(2025, 2, 1), Severity.ERROR),  # renewal already passed
    ],
)
def test_severity_from_band_arr_and_renewal(
    band: Band, arr: float | None, renewal: date | None, expected: Severity
) -> None:
    assert alert_severity(band, arr, renewal, TODAY, RULES) is expected


@given(
    st.sampled_from(list(Band)),
    st.one_of(st.none(), st.floats(min_value=0, max_value=1e9)),
    st.one_of(st.none(), st.integers(min_value=-400, max_value=400)),
)
def test_severity_never_decreases_with_a_worse_band(
    band: Band, arr: float | None, days: int | None
) -> None:
    renewal = None if days is None else TODAY + timedelta(days=days)
    order = [Band.HEALTHY, Band.AT_RISK, Band.CRITICAL]
    worse = order[min(order.index(band) + 1, 2)]
    assert (
        alert_severity(worse, arr, renewal, TODAY, RULES).rank
        >= alert_severity(band, arr, renewal, TODAY, RULES).rank
    )


def test_severity_order_is_info_warning_error_critical() -> None:
    assert [s.rank for s in Severity] == [0, 1, 2, 3]
    assert "severity" in AlertEvent.model_fields
