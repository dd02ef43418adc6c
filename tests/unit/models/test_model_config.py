"""The model file: the default validates; broken files name the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.exceptions import HealthscoreError, ModelError
from models.health import Band
from models.model_file import DEFAULT_MODEL_PATH, check_model_file, load_model
from models.model_parts import ComponentName, Curve

DEFAULT_TEXT = DEFAULT_MODEL_PATH.read_text(encoding="utf-8")


def write_variant(tmp_path: Path, old: str, new: str) -> tuple[str, int]:
    """The default model with one edit; returns the path and the 1-based line edited."""
    assert DEFAULT_TEXT.count(old) == 1, old
    text = DEFAULT_TEXT.replace(old, new)
    line = DEFAULT_TEXT[: DEFAULT_TEXT.index(old)].count("\n") + 1
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path), line


def assert_refused_at_its_line(tmp_path: Path, old: str, new: str, problem: str) -> None:
    """check-model refuses the default model with `old` edited to `new`, naming the edited
    line and `problem`."""
    path, line = write_variant(tmp_path, old, new)
    problems = check_model_file(path)
    assert problems, "the variant should be refused"
    assert any(f":{line}:" in p and problem in p for p in problems), problems


def test_default_model_loads_and_is_valid() -> None:
    model = load_model()
    assert model.version
    assert model.longest_window_days == 180
    assert check_model_file(str(DEFAULT_MODEL_PATH)) == []
    assert model.bands.band(70) is Band.HEALTHY
    assert model.bands.band(69.9) is Band.AT_RISK
    assert model.bands.band(39.9) is Band.CRITICAL


def test_stage_overrides_change_weights_and_bands() -> None:
    model = load_model()
    base = model.resolved(None)
    onboarding = model.resolved("onboarding")
    escalation = model.resolved("escalation")
    assert base.weights[ComponentName.ENGAGEMENT] == 40
    assert onboarding.weights[ComponentName.ENGAGEMENT] == 50
    assert onboarding.factor_weights[ComponentName.ENGAGEMENT]["trend"] == 10
    assert onboarding.factor_weights[ComponentName.ENGAGEMENT]["recency"] == 15
    assert escalation.bands.healthy == 75
    assert model.resolved("no-such-stage") is base


def test_negative_weight_names_line_and_field(tmp_path: Path) -> None:
    path, line = write_variant(
        tmp_path,
        "        weight: 10\n        curve: [[0, 0], [0.4",
        "        weight: -10\n        curve: [[0, 0], [0.4",
    )
    problems = check_model_file(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:{line}: components.engagement.factors.trend.weight:")
    assert "greater than or equal to 0" in problems[0]


def test_curve_out_of_order_names_its_line(tmp_path: Path) -> None:
    path, line = write_variant(
        tmp_path,
        "curve: [[0, 100], [2, 100], [7, 75]",
        "curve: [[0, 100], [7, 100], [2, 75]",
    )
    problems = check_model_file(path)
    assert problems == [
        f"{path}:{line}: components.engagement.factors.recency.curve: "
        "x values must increase strictly (7.0 then 2.0)"
    ]


def test_misspelt_key_and_missing_field_are_both_reported(tmp_path: Path) -> None:
    path, line = write_variant(
        tmp_path, "  sentiment:\n    weight: 20", "  sentiment:\n    wieght: 20"
    )
    assert check_model_file(path) == [
        f"{path}:{line}: components.sentiment.weight: Field required",
        f"{path}:{line + 1}: components.sentiment.wieght: Extra inputs are not permitted",
    ]


def test_unknown_factor_in_a_stage_override_is_rejected(tmp_path: Path) -> None:
    path, _ = write_variant(
        tmp_path,
        "engagement: {breadth: 20}\n  escalation",
        "engagement: {bredth: 20}\n  escalation",
    )
    problems = check_model_file(path)
    assert len(problems) == 1
    assert "unknown factor bredth" in problems[0]


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path, line = write_variant(tmp_path, "bands:\n  healthy: 70", "bands:\n  healthy: [70")
    problems = check_model_file(path)
    assert len(problems) == 1
    assert "YAML syntax error" in problems[0]
    assert problems[0].startswith(f"{path}:")
    reported = int(problems[0].split(":")[1])
    assert line <= reported <= line + 3


def test_bands_in_the_wrong_order_are_rejected(tmp_path: Path) -> None:
    path, line = write_variant(tmp_path, "  at_risk: 40 ", "  at_risk: 80 ")
    problems = check_model_file(path)
    assert problems == [f"{path}:{line - 2}: bands: at_risk (80.0) must be below healthy (70.0)"]


def test_load_model_raises_model_error_listing_problems(tmp_path: Path) -> None:
    path, _ = write_variant(tmp_path, 'version: "2026.1"', "version: ''")
    with pytest.raises(ModelError) as raised:
        load_model(path)
    assert isinstance(raised.value, HealthscoreError)
    assert raised.value.problems and "version" in raised.value.problems[0]


def test_missing_and_empty_files_are_reported(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.yaml")
    assert "cannot read the file" in check_model_file(missing)[0]
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n", encoding="utf-8")
    assert check_model_file(str(empty)) == [f"{empty}:1: the file is empty"]


def test_curve_interpolates_and_is_flat_beyond_its_ends() -> None:
    curve = Curve.model_validate([[0, 100], [10, 50], [20, 0]])
    assert curve.at(-5) == 100
    assert curve.at(5) == 75
    assert curve.at(15) == 25
    assert curve.at(99) == 0
