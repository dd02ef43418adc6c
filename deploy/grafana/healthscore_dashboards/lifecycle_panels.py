"""The Portfolio dashboard's churn-and-resurrection row: lost ARR apart from ARR at risk.

A churned account has left the active portfolio (account_health.lifecycle_status);
every other panel of the dashboard leaves it out. These panels read
account_health and the churn_episodes view of migration 004.
"""

from __future__ import annotations

from .grafana import Grid, account_link, prom, sql, stat, table, timeseries

# Accounts of the active portfolio: never churned, or resurrected (a null status is a
# row written before lifecycles were tracked: never churned).
ACTIVE = "lifecycle_status IS DISTINCT FROM 'churned'"
LOST_COLOR = {"color": {"mode": "fixed", "fixedColor": "purple"}}
BACK_COLOR = {"color": {"mode": "fixed", "fixedColor": "blue"}}


def lifecycle_row(g: Grid, where: str) -> None:
    """Add the row; `where` is the dashboard's segment and owner filter."""
    g.row("Churn and resurrection")
    g.add(
        stat(
            "ARR at risk vs ARR lost",
            sql(
                "SELECT coalesce(sum(arr) FILTER (WHERE band <> 'healthy' AND "
                f"{ACTIVE}), 0) AS arr_at_risk, "
                "coalesce(sum(arr_lost) FILTER (WHERE lifecycle_status = 'churned'), 0) "
                f"AS arr_lost FROM account_health WHERE {where}"
            ),
            description="At risk: ARR of active accounts that are not healthy, still to save. "
            "Lost: ARR the churned accounts lost, gone.",
            unit="currencyUSD",
        ),
        8,
        4,
    )
    g.add(
        stat(
            "Churned accounts",
            sql(
                "SELECT count(*) AS churned FROM account_health "
                f"WHERE lifecycle_status = 'churned' AND {where}"
            ),
            description="Accounts whose contracts churned and that have not come back.",
            defaults=LOST_COLOR,
        ),
        4,
        4,
    )
    g.add(
        stat(
            "Resurrected accounts",
            sql(
                "SELECT count(*) AS resurrected, coalesce(sum(arr), 0) AS arr "
                f"FROM account_health WHERE lifecycle_status = 'resurrected' AND {where}"
            ),
            description="Accounts that churned and came back (a renewal after the churn, or "
            "sustained logins: the model's lifecycle section), and their ARR.",
            defaults=BACK_COLOR,
        ),
        4,
        4,
    )
    g.add(
        stat(
            "Resurrection rate",
            sql(
                "SELECT count(resurrected_on)::double precision / nullif(count(*), 0) "
                f"AS resurrection_rate FROM churn_episodes WHERE {where}"
            ),
            description="Of every churn, the share that came back since.",
            unit="percentunit",
            defaults=BACK_COLOR,
        ),
        4,
        4,
    )
    g.add(
        stat(
            "Churned again soon after coming back",
            sql(
                "SELECT count(*) FILTER (WHERE rechurned) AS rechurned "
                f"FROM churn_episodes WHERE {where}"
            ),
            description="Resurrections followed by another churn within the model's "
            "lifecycle.rechurn_within_days (90 by default).",
            defaults=LOST_COLOR,
        ),
        4,
        4,
    )
    g.add(
        timeseries(
            "ARR at risk and ARR lost",
            [
                prom('sum(healthscore_arr{band!="healthy"})', "at risk"),
                prom("sum(healthscore_arr_lost)", "lost (churned)"),
            ],
            description="From the workers' gauges (whole portfolio): ARR at risk counts "
            "active accounts only; ARR lost is the churned accounts'.",
            unit="currencyUSD",
        ),
        12,
        8,
    )
    g.add(
        table(
            "Churns by quarter",
            sql(
                f"""
                SELECT churn_quarter AS quarter,
                       count(*) AS churns,
                       sum(arr_lost) AS arr_lost,
                       count(resurrected_on) AS resurrected,
                       round((count(resurrected_on)::numeric / count(*)), 3)
                           AS resurrection_rate,
                       coalesce(sum(arr_won_back), 0) AS arr_won_back,
                       count(*) FILTER (WHERE rechurned) AS churned_again
                FROM churn_episodes
                WHERE {where}
                GROUP BY churn_quarter
                ORDER BY churn_quarter DESC
                """
            ),
            description="Each quarter's churns (UTC dates of the events), and what became "
            "of them since: resurrected, ARR won back, churned again soon after.",
        ),
        12,
        8,
    )
    g.add(
        table(
            "Churned and resurrected accounts",
            sql(
                f"""
                SELECT account_id, name, lifecycle_status AS status, churned_on, arr_lost,
                       resurrected_on, arr, segment, csm_owner
                FROM account_health
                WHERE lifecycle_status IN ('churned', 'resurrected') AND {where}
                ORDER BY coalesce(resurrected_on, churned_on) DESC, account_id
                LIMIT 50
                """
            ),
            description="The latest churns and returns; ARR lost is the latest churn's.",
            overrides=[account_link()],
        ),
        24,
        8,
    )
