"""The growth section of docs/how-the-score-works.md, rendered from a model's settings."""

from __future__ import annotations

from models.growth.settings import GrowthSettings
from models.model_config import HealthModel


def _signal_rows(settings: GrowthSettings) -> list[str]:
    signals = settings.signals
    window = settings.window_days
    rise = signals.users_rising
    promoters = signals.decision_maker_promoters
    roles = ", ".join(role.value for role in promoters.roles)
    holds = {
        "users_rising": f"distinct active users in the last {window} days are at least"
        f" {rise.min_added} more, and {100 * rise.min_rise:g} % more, than in the {window}"
        " days before (which must have had some)",
        "breadth_rising": f"at least {signals.breadth_rising.min_new_features} features were"
        f" used for the first time in the last {window} days, by an account active in the"
        f" {window} days before",
        "decision_maker_promoters": f"at least {promoters.min_promoters} promoter (NPS 9-10)"
        f" among the decision-makers ({roles}), and more promoters than detractors (0-6)"
        " among them: latest answer per respondent, sentiment window",
        "renewal_approaching": "the next pending renewal (as the commercial component reads it)"
        f" is today or within {signals.renewal_approaching.within_days} days",
    }
    weights = signals.weights
    total = sum(weights.values())
    return [
        f"| `growth.{name}` | {weight:g} | {100 * weight / total:.0f} | {holds[name]} |"
        for name, weight in weights.items()
    ]


def growth_section(model: HealthModel) -> list[str]:
    """The section's lines (a leading blank line included)."""
    settings = model.growth
    return [
        "",
        "## Growth",
        "",
        "Every health carries `growth`: whether the account is an **expansion candidate**, its",
        "growth strength (0-100) and the signals behind it, each a driver a CSM can act on.",
        "Each signal that holds adds its share of the signals' weight to the strength, so the",
        "growth drivers' impacts add up to it:",
        "",
        "| signal | weight | points | holds when |",
        "|---|---:|---:|---|",
        *_signal_rows(settings),
        "",
        "An account is an expansion candidate when it has not churned, is **healthy** (with",
        f"its stage's bands) and its strength is at least {settings.min_strength:g}. Windows",
        "count UTC days of event time, today included. Thresholds and weights are the model",
        "file's `growth` section (`healthscore check-model` names a bad value with its line).",
        "",
        "`GET /portfolio/growth`, the PostgreSQL views `growth_candidates`, `growth_signals`",
        "and `growth_summary`, and the Portfolio dashboard's Growth row list the candidates,",
        "strongest first, then the most ARR, with the number of candidates, their ARR, their",
        "share of the healthy accounts and how many each signal holds for. The",
        "`expansion_opportunity` alert (off unless the model's `alerts.expansion_opportunity`",
        "is true) fires when an account becomes a candidate and resolves when it stops being",
        "one.",
    ]
