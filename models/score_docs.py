"""Render "how the score works" (docs/how-the-score-works.md) from a model.

The page is generated, never edited by hand: a unit test fails when the
committed file differs from `render_score_docs(load_model())`.
"""

from __future__ import annotations

from datetime import timedelta

from models.growth.docs import growth_section
from models.model_config import HealthModel, StageOverride
from models.model_parts import ComponentName, Curve

# What each factor measures: (component, factor) -> (measured value, unit of the curve's x).
FACTOR_DOCS: dict[tuple[ComponentName, str], tuple[str, str]] = {
    (ComponentName.ENGAGEMENT, "trend"): (
        "average daily active users over the recent window / over the baseline window",
        "ratio",
    ),
    (ComponentName.ENGAGEMENT, "stickiness"): (
        "DAU/MAU: average daily active users / distinct users, baseline window",
        "ratio",
    ),
    (ComponentName.ENGAGEMENT, "recency"): ("time since anyone logged in", "days"),
    (ComponentName.ENGAGEMENT, "activity"): (
        "active user-days in the baseline window",
        "user-days",
    ),
    (ComponentName.ENGAGEMENT, "active_users"): (
        "distinct users active in the baseline window",
        "users",
    ),
    (ComponentName.ENGAGEMENT, "breadth"): (
        "distinct features used in the baseline window (left out if logins carry no feature)",
        "features",
    ),
    (ComponentName.ENGAGEMENT, "champion"): (
        "time since the champion (`champion_user_id`) last logged in",
        "days",
    ),
    (ComponentName.ENGAGEMENT, "sponsor"): (
        "time since the executive sponsor (`sponsor_user_id`) last logged in",
        "days",
    ),
    (ComponentName.ENGAGEMENT, "key_features"): (
        "weighted share of the model's `key_features` used in the baseline window "
        "(left out if the model names none)",
        "share",
    ),
    (ComponentName.ENGAGEMENT, "risk_actions"): (
        "weighted count of the model's `risk_features` used in the recent window "
        "(left out if the model names none)",
        "weighted uses",
    ),
    (ComponentName.SUPPORT, "open_tickets"): (
        "backlog points: per open ticket, priority points x age multiplier",
        "points",
    ),
    (ComponentName.SUPPORT, "first_reply"): (
        "median first reply time (opened -> first_response), tickets opened in the window",
        "hours",
    ),
    (ComponentName.SUPPORT, "reopen_rate"): (
        "share of tickets resolved in the window that were ever reopened",
        "share",
    ),
    (ComponentName.SUPPORT, "csat"): (
        "CSAT: share of answers that are 4 or 5 (latest per ticket)",
        "share",
    ),
    (ComponentName.SUPPORT, "effort"): (
        "mean customer effort score, 1-7, higher = easier",
        "score",
    ),
    (ComponentName.SENTIMENT, "nps"): (
        "role-weighted NPS, latest answer per respondent: "
        "100 x (sum of promoter weights - sum of detractor weights) / sum of weights",
        "NPS",
    ),
    (ComponentName.COMMERCIAL, "renewal"): (
        "days to the nearest pending renewal date (negative = overdue)",
        "days",
    ),
    (ComponentName.COMMERCIAL, "arr_change"): (
        "ARR after renewal outcomes / ARR before (churned counts as 0)",
        "ratio",
    ),
}

_WINDOW_DOCS = {
    "recent": "active users now (the trend's numerator)",
    "baseline": "the account's own baseline, DAU/MAU, feature breadth",
    "support": "tickets, first reply time, reopen rate, CSAT, customer effort",
    "sentiment": "NPS answers",
}


def render_score_docs(model: HealthModel) -> str:
    lim = model.limits
    lines: list[str] = [
        "# How the health score works",
        "",
        "<!-- Generated from the scoring model by models/score_docs.py (render_score_docs);"
        " do not edit by hand. -->",
        "",
        f"Model version `{model.version}`. {model.description}".rstrip(),
        "",
        "Every account gets a score from 0 to 100 and a band:",
        "",
        f"- **healthy**: score >= {model.bands.healthy:g}",
        f"- **at_risk**: {model.bands.at_risk:g} <= score < {model.bands.healthy:g}",
        f"- **critical**: score < {model.bands.at_risk:g}",
        "",
        "## From signals to a score",
        "",
        "Each component is built from factors. A factor measures one thing and maps it to",
        "0-100 through a piecewise-linear curve (the `x -> y` breakpoints below; flat beyond",
        "the first and last point). Then:",
        "",
        "- component = weighted mean of its factors that have data;",
        "- score = weighted mean of the components that have data.",
        "",
        "A factor with a percentile curve is scored against the population instead: its x",
        "is the account's rank, 0-1, among the latest measures of the accounts in its",
        "segment (all accounts if the segment has fewer than "
        f"{model.population.min_accounts} with the factor),",
        "so the factor fits any product's scale; its absolute curve scores it while fewer",
        f"than {model.population.min_accounts} accounts have it. Its driver says where the "
        "account stands, e.g.",
        '"4 features used in the last 30 days; the median account in its segment uses 11".',
        "",
        "A component (or factor) without data is left out and the others re-weighted.",
        "`confidence` is the share of the total component weight that had data. With no",
        f"data at all the score is the neutral {model.neutral_score:g} with confidence 0.",
        "",
        "Each score names its drivers: the largest negative contributions (up to "
        f"{model.drivers.negative})",
        f"and the largest positive ones (up to {model.drivers.positive}), each at least "
        f"{model.drivers.min_impact:g} points.",
        "A driver's `impact` is the number of points that factor moves the score away from",
        f"the neutral {model.neutral_score:g}: component weight share x factor weight share x",
        f"(factor value - {model.neutral_score:g}). All impacts add up to score -"
        f" {model.neutral_score:g}.",
        "",
        "Silence is a signal: the score depends on the time of evaluation as well as on the",
        "events, and scores are re-evaluated on a schedule, so an account whose users stop",
        "logging in loses points day by day (recency, trend, champion, sponsor) until it",
        "reaches at_risk and then critical.",
        "",
        "## Windows",
        "",
        "All windows count UTC days of event time (`occurred_at`), today included, so late",
        "and out-of-order events land where they belong.",
        "",
        "| window | days | used for |",
        "|---|---:|---|",
    ]
    # The fields only: iterating the model would also yield its cached `longest`.
    for name in type(model.windows).model_fields:
        days = getattr(model.windows, name)
        lines.append(f"| {name} | {days} | {_WINDOW_DOCS.get(name, '')} |")
    lines += [
        "",
        f"Events older than the longest window ({model.longest_window_days} days) are rejected.",
        "",
        f"State per account is bounded: at most {lim.max_users} users, {lim.max_features}"
        f" features, {lim.max_tickets} tickets,",
        f"{lim.max_respondents} NPS respondents and {lim.max_contracts} contracts"
        " (the least recently active are dropped first;",
        "the champion and sponsor are always kept). Repeated `event_id`s are ignored.",
        f"Up to {lim.max_outcomes} contract outcomes, and the login days a churn needs, are"
        " kept beyond the windows",
        "for the lifecycle (below).",
        "",
        "## Components",
        "",
        "| component | weight | share |",
        "|---|---:|---:|",
    ]
    weights = model.components.weights()
    total = sum(weights.values())
    for component, weight in weights.items():
        lines.append(f"| {component.value} | {weight:g} | {100 * weight / total:.0f}% |")
    for component, factors in model.components.factor_tables().items():
        lines += ["", f"### {component.value}", "", "| factor | weight | measures | curve |"]
        lines.append("|---|---:|---|---|")
        for name, factor in factors.items():
            measured, unit = FACTOR_DOCS.get((component, name), ("", "x"))
            curve = _curve(factor.curve, unit)
            if factor.percentile_curve is not None:
                ranked = _curve(factor.percentile_curve, "rank")
                curve = f"{ranked}; too few accounts: {curve}"
            lines.append(f"| {name} | {factor.weight:g} | {measured} | {curve} |")
        lines += _component_extras(model, component)
    lines += _stage_section(model)
    lines += _lifecycle_section(model)
    lines += growth_section(model)
    return "\n".join(lines) + "\n"


def _component_extras(model: HealthModel, component: ComponentName) -> list[str]:
    support = model.components.support
    sentiment = model.components.sentiment
    if component is ComponentName.SUPPORT:
        points = ", ".join(f"{p.value} {v:g}" for p, v in support.priority_points.items())
        return [
            "",
            f"Open-ticket priority points: {points}. Age multiplier: "
            f"{_curve(support.age_multiplier, 'hours open')}.",
        ]
    if component is ComponentName.SENTIMENT:
        roles = ", ".join(f"{r.value} {w:g}" for r, w in sentiment.role_weights.items())
        return [
            "",
            f"Role weights: {roles}; no role {sentiment.unknown_role_weight:g}. Promoters score",
            "9-10, detractors 0-6.",
        ]
    if component is ComponentName.COMMERCIAL:
        return ["", "If every known contract's latest event is `churned`, commercial is 0."]
    return []


def _stage_section(model: HealthModel) -> list[str]:
    if not model.stages:
        return []
    lines = [
        "",
        "## Lifecycle stages",
        "",
        "The account profile's `lifecycle_stage` overrides weights and bands:",
        "",
        "| stage | overrides |",
        "|---|---|",
    ]
    for stage, override in model.stages.items():
        lines.append(f"| {stage.value} | {_override(override)} |")
    return lines


def _lifecycle_section(model: HealthModel) -> list[str]:
    rules = model.lifecycle
    back = rules.resurrection
    ways = []
    if back.renewal_statuses:
        statuses = " or ".join(f"`{s.value}`" for s in back.renewal_statuses)
        ways.append(
            f"a renewal outcome {statuses} on a later day than the churn (a new contract,"
            " or the churned one won back)"
        )
    if back.active_days:
        ways.append(
            f"logins on {back.active_days} distinct days within the {back.within_days} days"
            " after the churn"
        )
    if ways:
        comes_back = ["- It is **resurrected** on the first day it has one of:"]
        comes_back += [
            f"  - {way}{';' if i < len(ways) - 1 else '.'}" for i, way in enumerate(ways)
        ]
    else:
        comes_back = [
            "- A churn is final: the model's `lifecycle.resurrection` allows no way back."
        ]
    return [
        "",
        "## Churn and resurrection",
        "",
        "Lifecycle outcomes are states, not scores. Every health carries `lifecycle`: its",
        "`status` (`active`, `churned` or `resurrected`), the day and the ARR lost of the latest",
        "churn, the day it came back, and every churn episode. Dates are UTC days of the",
        "events' `occurred_at`.",
        "",
        "- An account **churns** on a day whose renewal outcomes are all `churned`; a day that",
        "  also renews another contract is a partial churn (it shows in `arr_change`), not a",
        "  churn. Contracts that churn while it is churned add their ARR to the same churn.",
        "- A churned account has left the active portfolio. It keeps a score and a band, but",
        "  the bands, ARR at risk, account lists and dashboards leave it out and count it",
        "  apart with the ARR it lost; its open alerts resolve with reason `churned` and no",
        "  new one fires.",
        *comes_back,
        "- A resurrected account is back in the portfolio and in alerting, and counted apart",
        "  too.",
        f"- A resurrection followed by another churn within {rules.rechurn_within_days} days"
        " is **re-churned**.",
        "",
        "`GET /portfolio/lifecycle` and the PostgreSQL views `resurrection_by_quarter` and",
        "`resurrection_totals` report, all time and per quarter of the churn: churns, ARR",
        "lost, resurrections, the resurrection rate (resurrections / churns), the ARR of the",
        "contracts that brought accounts back, and how many were re-churned.",
    ]


def _override(override: StageOverride) -> str:
    parts = [f"{c.value} weight {w:g}" for c, w in override.weights.items()]
    for component, factors in override.factor_weights.items():
        parts += [f"{component.value}.{f} weight {w:g}" for f, w in factors.items()]
    if override.bands is not None:
        parts.append(
            f"bands healthy >= {override.bands.healthy:g}, at_risk >= {override.bands.at_risk:g}"
        )
    return "; ".join(parts) or "none"


def _curve(curve: Curve, unit: str) -> str:
    return f"{unit}: " + ", ".join(f"{x:g} -> {y:g}" for x, y in curve.root)


def render_readme_section(model: HealthModel) -> str:
    """The README's short summary of the model: bands, component weights and alert rules.

    The whole story (factors, curves, windows, stages) is docs/how-the-score-works.md;
    the README links to it and stays short.
    """
    bands = model.bands
    weights = model.components.weights()
    total = sum(weights.values())
    shares = ", ".join(
        f"{component.value} {100 * weight / total:.0f} %" for component, weight in weights.items()
    )
    rules = model.alerts
    drop_clears = rules.score_drop_points - rules.score_drop_clear_margin
    lines = [
        f"Model `{model.version}` (the default; `HS_MODEL` names another). Bands: **healthy**"
        f" {bands.healthy:g}-100, **at_risk** {bands.at_risk:g} to under {bands.healthy:g},"
        f" **critical** under {bands.at_risk:g}. Components: {shares}; one without data is left"
        " out and the others re-weighted. Every factor, curve, window and lifecycle stage:",
        "[docs/how-the-score-works.md](docs/how-the-score-works.md).",
        "",
        "| alert | fires when | clears when |",
        "|---|---|---|",
        f"| `band_entered` | the account entered at_risk (< {rules.healthy_from:g}) or critical"
        f" (< {rules.at_risk_from:g}) and stayed there {_duration(rules.pending_for)}"
        f" | it climbs {rules.band_exit_margin:g} points past the band edge |",
        f"| `score_drop` | the score fell {rules.score_drop_points:g} or more points within"
        f" {_duration(rules.score_drop_window)} | the drop shrinks below {drop_clears:g} points |",
        f"| `renewal_risk` | renewal is within {rules.renewal_within_days} days and the account"
        " is not healthy | it is healthy again, or the renewal passed |",
        f"| `expansion_opportunity` | {_opportunity(model)}the account became an expansion"
        f" candidate: healthy, growth strength {model.growth.min_strength:g} or more"
        " | it is no longer one |",
        "",
        "One open alert per account and kind: a message when it fires, a reminder at most"
        f" {_every(rules.repeat_interval)} while it stays open (sooner if the account"
        " gets worse), and one when it resolves. Severity rises with the band, with ARR of"
        f" {rules.high_arr:,.0f} or more and with a renewal within {rules.renewal_soon_days}"
        f" days; an expansion opportunity is always info. Scores with confidence below"
        f" {100 * rules.min_confidence:g} % raise no alerts.",
    ]
    return "\n".join(lines)


def _opportunity(model: HealthModel) -> str:
    if model.alerts.expansion_opportunity:
        return ""
    return "(off by default: `alerts.expansion_opportunity`) "


def _every(value: timedelta) -> str:
    """`every day`, `every 6 hours`."""
    count, unit = _duration(value).split(" ", 1)
    return f"every {unit.rstrip('s')}" if count == "1" else f"every {count} {unit}"


def _duration(value: timedelta) -> str:
    """`15 minutes`, `24 hours`, `7 days`: the largest whole unit."""
    seconds = int(value.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"
