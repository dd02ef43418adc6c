"""The model file's `renewals` section: defaults, and bad values named with their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.health import Band
from models.model_file import check_model_file, load_model
from models.renewals.settings import RenewalSettings
from tests.unit.models.test_model_config import assert_refused_at_its_line, write_variant


def test_the_default_model_counts_calendar_quarters_with_the_demos_calibration() -> None:
    renewals = load_model().renewals
    assert renewals == RenewalSettings()
    assert (renewals.fiscal_year_start_month, renewals.window_days) == (1, 90)
    assert renewals.target_share == 0.9
    calibration = renewals.churn_calibration
    assert calibration.probability(Band.CRITICAL) == 1.0
    assert calibration.probability(Band.AT_RISK) == pytest.approx(20 / 67)
    assert calibration.probability(Band.HEALTHY) == pytest.approx(7 / 71)


def test_a_band_without_outcomes_takes_the_rate_of_all_bands() -> None:
    bands = {"critical": {"renewals": 4, "churned": 3}, "healthy": {"renewals": 6, "churned": 1}}
    calibration = {"source": "s", "bands": bands}
    settings = RenewalSettings.model_validate({"churn_calibration": calibration})
    assert settings.churn_calibration.probability(Band.AT_RISK) == pytest.approx(4 / 10)


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("fiscal_year_start_month: 1 ", "fiscal_year_start_month: 13 ", "less than or equal to 12"),
        ("target_share: 0.9 ", "target_share: 1.5 ", "less than or equal to 1"),
        ("window_days: 90 ", "window_days: 0 ", "greater than or equal to 1"),
        (
            "critical: {renewals: 24, churned: 24}",
            "critical: {renewals: 24, churned: 25}",
            "churned (25) cannot exceed renewals (24)",
        ),
        ("at_risk: {renewals: 67", "at_risk: {renewals: -1", "greater than or equal to 0"),
        ("healthy: {renewals: 71, churned: 7}", "sick: {renewals: 71, churned: 7}", "sick"),
    ],
)
def test_check_model_names_the_line_and_the_problem(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    assert_refused_at_its_line(tmp_path, old, new, problem)


def test_a_calibration_without_any_outcome_is_refused(tmp_path: Path) -> None:
    text = (
        "      critical: {renewals: 0, churned: 0}\n"
        "      at_risk: {renewals: 0, churned: 0}\n"
        "      healthy: {renewals: 0, churned: 0}\n"
    )
    old = (
        "      critical: {renewals: 24, churned: 24}\n"
        "      at_risk: {renewals: 67, churned: 20}\n"
        "      healthy: {renewals: 71, churned: 7}\n"
    )
    path, _ = write_variant(tmp_path, old, text)
    assert any("at least one renewal outcome" in p for p in check_model_file(path))
