"""Read the renewal desk's SQL views into the shape of tests/support/renewal_history's EXPECTED."""

from __future__ import annotations

from typing import Any

import asyncpg

FIGURES = (
    "due",
    "renewed",
    "renewed_on_time",
    "renewed_late",
    "churned",
    "pending",
)


def _tally(renewals: int, arr: float) -> dict[str, float]:
    return {"renewals": renewals, "arr": arr}


def period(row: asyncpg.Record) -> dict[str, Any]:
    found: dict[str, Any] = {name: _tally(row[name], row[f"{name}_arr"]) for name in FIGURES}
    found["churned_accounts"] = row["churned_accounts"]
    found["renewal_rate_by_count"] = row["renewal_rate_by_count"]
    found["renewal_rate_by_arr"] = row["renewal_rate_by_arr"]
    return found


async def desk_from_views(connection: asyncpg.Connection) -> dict[str, Any]:
    """Every figure the views give, keyed as the API's answer keys them."""
    rows = await connection.fetch("SELECT * FROM renewal_periods ORDER BY starts_on, period")
    by_period = {row["period"]: row for row in rows if row["period"] != "quarter"}
    quarters = [row for row in rows if row["period"] == "quarter"]
    forecast = await connection.fetchrow("SELECT * FROM renewal_forecast")
    bands = await connection.fetch("SELECT * FROM renewal_forecast_bands ORDER BY position")
    statuses = await connection.fetch("SELECT * FROM renewal_due_soon_statuses ORDER BY position")
    summary = await connection.fetchrow("SELECT * FROM renewal_due_soon_summary")
    assert forecast is not None and summary is not None, "no renewal_settings row"
    return {
        "labels": [row["label"] for row in quarters],
        "quarters": [period(row) for row in quarters],
        "quarter_to_date": period(by_period["quarter_to_date"]),
        "year_to_date": period(by_period["year_to_date"]),
        "forecast": {
            "churn_cost_to_date": forecast["churn_cost_to_date"],
            "churned_ahead": _tally(forecast["churned_ahead"], forecast["churned_ahead_arr"]),
            "pending": {
                row["band"]: {
                    "renewals": row["renewals"],
                    "arr": row["arr"],
                    "churn_probability": row["churn_probability"],
                }
                for row in bands
            },
            "expected_churn_arr": forecast["expected_churn_arr"],
            "forecast_churn_arr": forecast["forecast_churn_arr"],
        },
        "due_soon": {
            "statuses": {row["status"]: _tally(row["renewals"], row["arr"]) for row in statuses},
            "total": _tally(summary["renewals"], summary["arr"]),
            "good_health_share": summary["good_health_share"],
            "meets_target": summary["meets_target"],
            "overdue": _tally(summary["overdue"], summary["overdue_arr"]),
        },
    }
