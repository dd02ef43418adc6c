"""The model file's `growth` section: defaults, and bad values named with their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.events import Role
from models.growth.settings import GrowthSettings
from models.model_file import check_model_file, load_model
from tests.unit.models.test_model_config import assert_refused_at_its_line


def test_the_default_model_has_the_default_growth_settings_and_no_opportunity_alert() -> None:
    model = load_model()
    assert model.growth == GrowthSettings()
    assert (model.growth.window_days, model.growth.min_strength) == (14, 60)
    assert model.growth.signals.weights == {
        "users_rising": 30,
        "breadth_rising": 20,
        "decision_maker_promoters": 30,
        "renewal_approaching": 20,
    }
    assert model.growth.signals.decision_maker_promoters.roles == [
        Role.FINANCE_EXECUTIVE,
        Role.BUSINESS_EXECUTIVE,
        Role.DEPARTMENT_MANAGER,
        Role.IT_LEADER,
    ]
    assert model.alerts.expansion_opportunity is False


def test_a_model_file_without_a_growth_section_gets_the_defaults(tmp_path: Path) -> None:
    text = (Path(__file__).parents[4] / "models" / "default_model.yaml").read_text()
    start = text.index("growth:\n")
    end = text.index("\n\n", start)
    path = tmp_path / "model.yaml"
    path.write_text(text[:start] + text[end + 2 :])
    assert check_model_file(str(path)) == []
    assert load_model(str(path)).growth == GrowthSettings()


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("window_days: 14 ", "window_days: 40 ", "must be 1 to 31, got 40: usage in the window"),
        ("window_days: 14 ", "window_days: 0 ", "must be 1 to 31, got 0"),
        ("min_strength: 60", "min_strength: 0", "greater than 0"),
        ("min_strength: 60", "min_strength: 101", "less than or equal to 100"),
        ("min_rise: 0.2 ", "min_rise: -0.1 ", "greater than or equal to 0"),
        ("min_added: 2 ", "min_added: 0 ", "greater than or equal to 1"),
        ("min_new_features: 2", "min_new_features: 0", "greater than or equal to 1"),
        ("min_promoters: 1", "min_promoters: 0", "greater than or equal to 1"),
        ("within_days: 120", "within_days: -5", "greater than or equal to 0"),
        ("roles: [finance_executive,", "roles: [cfo,", "Input should be 'finance_executive'"),
        (
            "roles: [finance_executive, business_executive,",
            "roles: [finance_executive, finance_executive,",
            "finance_executive named more than once",
        ),
        ("min_promoters: 1", "min_promotors: 1", "Extra inputs are not permitted"),
    ],
)
def test_check_model_names_the_line_and_the_problem(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    assert_refused_at_its_line(tmp_path, old, new, problem)


def test_roles_cannot_be_left_empty(tmp_path: Path) -> None:
    old = "roles: [finance_executive, business_executive, department_manager, it_leader]"
    assert_refused_at_its_line(tmp_path, old, "roles: []", "name at least one role")


def test_signals_that_weigh_nothing_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    text = (Path(__file__).parents[4] / "models" / "default_model.yaml").read_text()
    for old, new in (
        ("weight: 30\n      min_rise", "weight: 0\n      min_rise"),
        ("weight: 20\n      min_new", "weight: 0\n      min_new"),
        ("weight: 30\n      roles", "weight: 0\n      roles"),
        ("weight: 20\n      within", "weight: 0\n      within"),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text)
    assert any(
        "growth: signals: the weights add up to 0, so no account could ever be a candidate" in p
        for p in check_model_file(str(path))
    )
