"""docs/how-the-score-works.md is generated from the default model and must stay in sync."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from models.model_config import load_model
from models.score_docs import render_readme_section, render_score_docs

DOC = Path(__file__).resolve().parents[3] / "docs" / "how-the-score-works.md"


def test_score_docs_match_the_default_model() -> None:
    expected = render_score_docs(load_model())
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/how-the-score-works.md is stale: regenerate it with\n"
        "  python -c 'from models.score_docs import render_score_docs; "
        "from models.model_config import load_model; "
        'print(render_score_docs(load_model()), end="")\' > docs/how-the-score-works.md'
    )


def test_score_docs_name_every_factor_and_band() -> None:
    text = render_score_docs(load_model())
    for factor in ("trend", "stickiness", "champion", "open_tickets", "csat", "nps", "renewal"):
        assert f"| {factor} |" in text
    assert "**healthy**: score >= 70" in text


def test_readme_explains_the_default_model() -> None:
    readme = (DOC.parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- score-docs:start")
    start = readme.index("\n", start) + 1
    end = readme.index("<!-- score-docs:end -->")
    assert readme[start:end].strip() == render_readme_section(load_model()).strip(), (
        "README's 'How the score works' summary is stale: run `make docs`"
    )


def test_readme_summary_follows_the_models_bands_weights_and_alert_rules() -> None:
    model = load_model()
    rules = model.alerts.model_copy(
        update={"pending_for": timedelta(hours=2), "repeat_interval": timedelta(hours=6)}
    )
    text = render_readme_section(model.model_copy(update={"alerts": rules}))
    assert f"Model `{model.version}`" in text
    assert "**healthy** 70-100" in text and "**critical** under 40" in text
    assert "engagement 40 %" in text
    assert "stayed there 2 hours" in text
    assert "a reminder at most every 6 hours" in text
    assert "[docs/how-the-score-works.md](docs/how-the-score-works.md)" in text


def test_readme_summary_stays_a_summary() -> None:
    summary = render_readme_section(load_model())
    assert len(summary.encode()) < len(render_score_docs(load_model()).encode()) / 2
    assert "| factor |" not in summary
