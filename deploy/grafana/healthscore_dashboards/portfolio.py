"""The Portfolio dashboard: where the risk in the customer base sits.

Churned accounts have left the active portfolio: every panel but those of the
churn-and-resurrection row (lifecycle_panels.py) leaves them out. The Growth row
(growth_panels.py) shows the other side: healthy accounts that could buy more.
"""

from __future__ import annotations

from .grafana import (
    SCORE_THRESHOLDS,
    Grid,
    Json,
    account_link,
    band_colors,
    band_value_mappings,
    dashboard,
    prom,
    sql,
    sql_variable,
    stat,
    table,
    timeseries,
)
from .growth_panels import growth_row
from .lifecycle_panels import ACTIVE, lifecycle_row

PORTFOLIO_FILTER = (
    "coalesce(segment, 'unknown') IN (${segment:sqlstring}) "
    "AND coalesce(csm_owner, 'unassigned') IN (${owner:sqlstring})"
)
# The filter, on the active portfolio only.
ACTIVE_FILTER = f"{PORTFOLIO_FILTER} AND {ACTIVE}"


def breakdown(title: str, column: str, label: str, missing: str = "unknown") -> Json:
    query = f"""
        SELECT coalesce({column}, '{missing}') AS {label},
               count(*) AS accounts,
               count(*) FILTER (WHERE band = 'healthy') AS healthy,
               count(*) FILTER (WHERE band = 'at_risk') AS at_risk,
               count(*) FILTER (WHERE band = 'critical') AS critical,
               round(avg(score)::numeric, 1) AS avg_score,
               coalesce(sum(arr), 0) AS arr,
               coalesce(sum(arr) FILTER (WHERE band <> 'healthy'), 0) AS arr_at_risk
        FROM account_health
        WHERE {ACTIVE_FILTER}
        GROUP BY 1
        ORDER BY arr_at_risk DESC, critical DESC, 1
    """
    return table(
        title,
        sql(query),
        description=f"Current health per {label.replace('_', ' ')} of the active portfolio, "
        "most ARR at risk first.",
        overrides=band_colors(),
    )


def portfolio() -> Json:
    g = Grid()
    where = ACTIVE_FILTER
    g.add(
        stat(
            "Accounts",
            sql(f"SELECT count(*) AS accounts FROM account_health WHERE {where}"),
            description="Accounts in the active portfolio (filtered by segment and owner); "
            "churned ones are counted in the churn row.",
        ),
        6,
        4,
    )
    g.add(
        stat(
            "ARR at risk",
            sql(
                "SELECT coalesce(sum(arr), 0) AS arr_at_risk FROM account_health "
                f"WHERE band <> 'healthy' AND {where}"
            ),
            description="Annual recurring revenue of active accounts that are at risk or "
            "critical (ARR lost to churn is apart, in the churn row).",
            defaults={"color": {"mode": "fixed", "fixedColor": "orange"}},
        ),
        6,
        4,
    )
    g.add(
        stat(
            "Share of ARR at risk",
            sql(
                "SELECT coalesce(sum(arr) FILTER (WHERE band <> 'healthy'), 0)"
                " / nullif(sum(arr), 0) AS share_at_risk "
                f"FROM account_health WHERE {where}"
            ),
            unit="percentunit",
        ),
        6,
        4,
    )
    g.add(
        stat(
            "Critical accounts",
            sql(
                "SELECT count(*) AS critical FROM account_health "
                f"WHERE band = 'critical' AND {where}"
            ),
            defaults={"color": {"mode": "fixed", "fixedColor": "red"}},
        ),
        6,
        4,
    )

    lifecycle_row(g, PORTFOLIO_FILTER)
    growth_row(g, PORTFOLIO_FILTER, ACTIVE)

    g.row("Over time")
    g.add(
        timeseries(
            "Accounts by band",
            [prom("sum by (band) (healthscore_accounts)", "{{band}}")],
            description="From the workers' healthscore_accounts gauge (the whole active "
            "portfolio).",
            overrides=band_colors(),
            defaults={"custom": {"stacking": {"mode": "normal"}, "fillOpacity": 40}},
        ),
        12,
        8,
    )
    g.add(
        timeseries(
            "ARR by band",
            [prom("sum by (band) (healthscore_arr)", "{{band}}")],
            description="From the workers' healthscore_arr gauge (the whole active portfolio).",
            overrides=band_colors(),
            defaults={"custom": {"stacking": {"mode": "normal"}, "fillOpacity": 40}},
        ),
        12,
        8,
    )
    g.add(
        timeseries(
            "Average score by segment",
            [
                sql(
                    """
                    SELECT $__timeGroupAlias(h.at, $__interval),
                           coalesce(a.segment, 'unknown') AS metric,
                           avg(h.score) AS value
                    FROM score_history h JOIN account_health a USING (account_id)
                    WHERE $__timeFilter(h.at)
                      AND coalesce(a.segment, 'unknown') IN (${segment:sqlstring})
                      AND coalesce(a.csm_owner, 'unassigned') IN (${owner:sqlstring})
                      AND a.lifecycle_status IS DISTINCT FROM 'churned'
                    GROUP BY 1, 2
                    ORDER BY 1
                    """,
                    "time_series",
                )
            ],
            description="Mean of the published scores in each interval (score_history) of "
            "the accounts in the active portfolio now.",
            defaults={"min": 0, "max": 100},
        ),
        12,
        8,
    )
    g.add(
        timeseries(
            "Alerts fired",
            [
                sql(
                    f"""
                    SELECT $__timeGroupAlias(at, $__interval), kind AS metric, count(*) AS value
                    FROM alerts
                    WHERE $__timeFilter(at) AND status = 'firing' AND {PORTFOLIO_FILTER}
                    GROUP BY 1, 2
                    ORDER BY 1
                    """,
                    "time_series",
                )
            ],
            description="New alert episodes per interval, by kind.",
            defaults={"custom": {"drawStyle": "bars", "stacking": {"mode": "normal"}}},
        ),
        12,
        8,
    )

    g.row("Breakdown")
    g.add(breakdown("By segment", "segment", "segment"), 12, 8)
    g.add(breakdown("By region", "region", "region"), 12, 8)
    g.add(breakdown("By line of business", "line_of_business", "line_of_business"), 12, 8)
    g.add(breakdown("By CSM owner", "csm_owner", "csm_owner", "unassigned"), 12, 8)

    g.row("Accounts to act on")
    g.add(
        table(
            "Worst accounts",
            sql(
                f"""
                SELECT account_id, name, segment, csm_owner,
                       round(score::numeric, 1) AS score, band, arr, renewal_date,
                       (SELECT d->>'text' FROM jsonb_array_elements(drivers) AS d
                        ORDER BY (d->>'impact')::double precision LIMIT 1) AS top_driver,
                       updated_at
                FROM account_health
                WHERE {where}
                ORDER BY score, account_id
                LIMIT 25
                """
            ),
            description="The 25 lowest scores, with the driver pulling each one down most.",
            overrides=[account_link()],
            defaults={"thresholds": SCORE_THRESHOLDS, "mappings": band_value_mappings()},
        ),
        24,
        10,
    )
    g.add(
        table(
            "Renewals at risk (next 90 days)",
            sql(
                f"""
                SELECT account_id, name, renewal_date,
                       renewal_date - current_date AS days_to_renewal,
                       band, round(score::numeric, 1) AS score, arr, csm_owner
                FROM account_health
                WHERE band <> 'healthy'
                  AND renewal_date BETWEEN current_date AND current_date + 90
                  AND {where}
                ORDER BY renewal_date, score
                """
            ),
            overrides=[account_link()],
            defaults={"mappings": band_value_mappings()},
        ),
        24,
        8,
    )
    variables = [
        sql_variable(
            "segment",
            "Segment",
            "SELECT DISTINCT coalesce(segment, 'unknown') FROM account_health ORDER BY 1",
            multi=True,
        ),
        sql_variable(
            "owner",
            "CSM owner",
            "SELECT DISTINCT coalesce(csm_owner, 'unassigned') FROM account_health ORDER BY 1",
            multi=True,
        ),
    ]
    return dashboard(
        "healthscore-portfolio",
        "healthscore / Portfolio",
        "Health of the whole customer portfolio: bands, ARR at risk, where the risk sits.",
        g,
        variables=variables,
    )
