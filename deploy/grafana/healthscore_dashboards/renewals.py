"""The Renewals dashboard: the renewal desk of docs/renewal-desk.md, from the SQL views of
sinks/migrations/005_renewals.sql (the figures GET /portfolio/renewals answers)."""

from __future__ import annotations

from typing import Any

from .grafana import (
    Grid,
    Json,
    account_link,
    band_colors,
    band_value_mappings,
    dashboard,
    panel,
    sql,
    stat,
    table,
)

QUARTER_TO_DATE = "FROM renewal_periods WHERE period = 'quarter_to_date'"
STATUS_COLORS = {"renewed": "blue", "churned": "purple"}


def status_colors() -> list[Json]:
    """Band colours for the bands, and their own for renewed and churned."""
    return band_colors() + [
        {
            "matcher": {"id": "byName", "options": status},
            "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": color}}],
        }
        for status, color in STATUS_COLORS.items()
    ]


def barchart(title: str, target: Json, **kwargs: Any) -> Json:
    options = {
        "orientation": "vertical",
        "stacking": "normal",
        "showValue": "auto",
        "xTickLabelRotation": 0,
        "legend": {"displayMode": "list", "placement": "bottom"},
        "tooltip": {"mode": "multi"},
    }
    return panel("barchart", title, [target], options=options, **kwargs)


def per_quarter(title: str, columns: str, description: str, **kwargs: Any) -> Json:
    """A bar per quarter since Q1 of the previous fiscal year, oldest first."""
    query = f"""
        SELECT label, {columns} FROM renewal_periods
        WHERE period = 'quarter' ORDER BY starts_on
    """
    return barchart(title, sql(query), description=description, **kwargs)


def shares(*columns: str) -> list[Json]:
    """Overrides showing these columns as percentages."""
    return [
        {
            "matcher": {"id": "byName", "options": column},
            "properties": [{"id": "unit", "value": "percentunit"}],
        }
        for column in columns
    ]


def renewals() -> Json:
    g = Grid()
    g.add(
        stat(
            "Renewal rate, quarter to date (ARR)",
            sql(f"SELECT renewal_rate_by_arr {QUARTER_TO_DATE}"),
            description="ARR renewed / ARR renewed or churned, of renewals due this quarter "
            "up to today.",
            unit="percentunit",
        ),
        4,
        4,
    )
    g.add(
        stat(
            "Renewal rate, quarter to date (count)",
            sql(f"SELECT renewal_rate_by_count {QUARTER_TO_DATE}"),
            unit="percentunit",
        ),
        4,
        4,
    )
    g.add(
        stat(
            "Churn cost, quarter to date",
            sql(f"SELECT churned_arr AS churn_cost {QUARTER_TO_DATE}"),
            description="ARR of the renewals due this quarter up to today that churned.",
            defaults={"color": {"mode": "fixed", "fixedColor": "purple"}},
        ),
        4,
        4,
    )
    g.add(
        stat(
            "Unit churn, quarter to date",
            sql(f"SELECT churned_accounts {QUARTER_TO_DATE}"),
            description="Accounts with a churned renewal due this quarter up to today.",
            defaults={"color": {"mode": "fixed", "fixedColor": "purple"}},
        ),
        4,
        4,
    )
    g.add(
        stat(
            "Churn cost forecast to quarter end",
            sql("SELECT forecast_churn_arr FROM renewal_forecast"),
            description="Churn cost so far + churn decided for renewals due later this "
            "quarter + undecided renewals due by its end times their band's churn probability.",
            defaults={"color": {"mode": "fixed", "fixedColor": "orange"}},
        ),
        4,
        4,
    )
    g.add(
        stat(
            "Due soon in good health, and the target",
            sql("SELECT good_health_share, target_share FROM renewal_due_soon_summary"),
            description="Share of the ARR due in the window (90 days by default) that is "
            "renewed or whose account is healthy, next to the target share.",
            unit="percentunit",
        ),
        4,
        4,
    )

    g.row("Per quarter")
    g.add(
        table(
            "Quarters and to date",
            sql(
                """
                SELECT label, starts_on, ends_on, due, due_arr, renewed, renewed_arr,
                       renewed_on_time, renewed_late, churned, churned_arr AS churn_cost,
                       churned_accounts AS unit_churn, pending, pending_arr,
                       renewal_rate_by_count, renewal_rate_by_arr
                FROM renewal_periods
                ORDER BY period = 'quarter' DESC, starts_on DESC, period
                """
            ),
            description="Each quarter from Q1 of the previous fiscal year, newest first, then "
            "the quarter and the fiscal year to date: renewals by their renewal date.",
            overrides=shares("renewal_rate_by_count", "renewal_rate_by_arr"),
        ),
        24,
        9,
    )
    purple = {"color": {"mode": "fixed", "fixedColor": "purple"}}
    g.add(
        per_quarter(
            "Churn cost per quarter",
            "churned_arr AS churn_cost",
            "ARR of the churned renewals due in each quarter.",
            defaults=purple,
        ),
        8,
        8,
    )
    g.add(
        per_quarter(
            "Unit churn per quarter",
            "churned_accounts AS unit_churn",
            "Accounts with a churned renewal due in each quarter.",
            defaults=purple,
        ),
        8,
        8,
    )
    g.add(
        per_quarter(
            "Renewed on time and late per quarter",
            "renewed_on_time AS on_time, renewed_late AS late",
            "Renewed on or before the renewal date, and after it.",
        ),
        8,
        8,
    )

    g.row("Churn forecast to the end of the quarter")
    g.add(
        table(
            "Forecast",
            sql(
                """
                SELECT quarter, ends_on, churn_cost_to_date, churned_ahead_arr,
                       pending, pending_arr, expected_churn_arr, forecast_churn_arr
                FROM renewal_forecast
                """
            ),
            description="Lost so far this quarter; churn already decided for renewals due "
            "later this quarter; undecided renewals due by its end (overdue ones included) "
            "and their expected loss.",
        ),
        24,
        4,
    )
    g.add(
        table(
            "Undecided renewals due by quarter end, by band",
            sql(
                """
                SELECT band, renewals, arr, churn_probability, expected_churn_arr
                FROM renewal_forecast_bands ORDER BY position
                """
            ),
            description="ARR per current band of the account, times the band's calibrated "
            "churn probability.",
            overrides=shares("churn_probability"),
            defaults={"mappings": band_value_mappings()},
        ),
        12,
        7,
    )
    g.add(
        table(
            "Churn calibration",
            sql(
                """
                SELECT c.band, c.renewals AS outcomes, c.churned, c.churn_probability,
                       s.calibration_days_before AS days_before, s.calibration_source AS source
                FROM renewal_calibration AS c CROSS JOIN renewal_settings AS s
                ORDER BY array_position(ARRAY['critical', 'at_risk', 'healthy'], c.band)
                """
            ),
            description="Observed churn per band in a backtest (the model's "
            "renewals.churn_calibration): of the outcomes whose account was in the band "
            "that long before, how many churned.",
            overrides=shares("churn_probability"),
            defaults={"mappings": band_value_mappings()},
        ),
        12,
        7,
    )

    g.row("Due soon")
    g.add(
        barchart(
            "Renewal opportunity by status (ARR)",
            sql("SELECT status, arr FROM renewal_due_soon_statuses ORDER BY position"),
            description="ARR due in the window: renewed early, the account's band if "
            "undecided, or churned.",
            overrides=status_colors(),
        ),
        8,
        8,
    )
    g.add(
        table(
            "By status",
            sql(
                """
                SELECT s.status, s.renewals, s.arr, s.arr / nullif(t.arr, 0) AS share
                FROM renewal_due_soon_statuses AS s CROSS JOIN renewal_due_soon_summary AS t
                ORDER BY s.position
                """
            ),
            overrides=shares("share"),
            defaults={"mappings": band_value_mappings()},
        ),
        8,
        8,
    )
    g.add(
        table(
            "Opportunity and target",
            sql(
                """
                SELECT days, renewals, arr, good_health_share, target_share, meets_target,
                       overdue, overdue_arr
                FROM renewal_due_soon_summary
                """
            ),
            description="Overdue: undecided renewals whose date has passed, not counted in "
            "the opportunity.",
        ),
        8,
        8,
    )
    g.add(
        table(
            "Renewals due soon",
            sql(
                """
                SELECT account_id, name, csm_owner, contract_id, renewal_date, days_to_renewal,
                       status, round(score::numeric, 1) AS score, arr
                FROM renewal_due_soon
                ORDER BY renewal_date, arr DESC, account_id
                """
            ),
            overrides=[account_link()],
            defaults={"mappings": band_value_mappings()},
        ),
        24,
        10,
    )
    return dashboard(
        "healthscore-renewals",
        "healthscore / Renewals",
        "The renewal desk: renewal rates, churn cost and unit churn per quarter, the churn "
        "forecast to the quarter's end, and the renewals due soon against the target.",
        g,
        time_from="now-1y",
        refresh="5m",
    )
