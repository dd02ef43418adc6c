"""The model file's `lifecycle:` section: defaults, and what `check-model` says of bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.events import RenewalStatus
from models.model_file import check_model_file, load_model
from tests.unit.models.test_model_config import DEFAULT_TEXT, write_variant


def test_the_default_model_resurrects_on_renewals_or_ten_active_days_in_thirty() -> None:
    rules = load_model().lifecycle
    assert rules.resurrection.renewal_statuses == [RenewalStatus.RENEWED, RenewalStatus.EXPANDED]
    assert (rules.resurrection.active_days, rules.resurrection.within_days) == (10, 30)
    assert rules.rechurn_within_days == 90


def test_a_model_file_without_the_section_gets_the_defaults(tmp_path: Path) -> None:
    start, end = DEFAULT_TEXT.index("lifecycle:\n"), DEFAULT_TEXT.index("# Caps that bound")
    path = tmp_path / "no-lifecycle.yaml"
    path.write_text(DEFAULT_TEXT[:start] + DEFAULT_TEXT[end:])
    assert check_model_file(str(path)) == []
    assert load_model(str(path)).lifecycle == load_model().lifecycle


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "renewal_statuses: [renewed, expanded]",
            "renewal_statuses: [renewed, churned]",
            "lifecycle.resurrection.renewal_statuses: churned cannot bring a churned account "
            "back (choose from renewed, expanded, contracted)",
        ),
        (
            "active_days: 10",
            "active_days: 45",
            "lifecycle.resurrection: active_days (45) cannot exceed within_days (30): there "
            "are only that many days to be active on",
        ),
        (
            "within_days: 30",
            "within_days: 0",
            "lifecycle.resurrection.within_days: Input should be greater than or equal to 1",
        ),
        (
            "rechurn_within_days: 90",
            "rechurn_within_days: -5",
            "lifecycle.rechurn_within_days: Input should be greater than or equal to 1",
        ),
    ],
)
def test_check_model_explains_a_bad_lifecycle_value_on_its_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path, line = write_variant(tmp_path, old, new)
    if message.startswith("lifecycle.resurrection: "):  # two fields at odds: their mapping
        line = DEFAULT_TEXT[: DEFAULT_TEXT.index("  resurrection:")].count("\n") + 1
    assert check_model_file(path) == [f"{path}:{line}: {message}"]
