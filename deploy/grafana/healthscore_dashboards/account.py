"""The Account dashboard: one account's score, components, drivers and alerts."""

from __future__ import annotations

from .grafana import (
    POSTGRES,
    SCORE_THRESHOLDS,
    Grid,
    Json,
    band_value_mappings,
    dashboard,
    panel,
    sql,
    sql_variable,
    stat,
    table,
    timeseries,
)

ACCOUNT = "account_id = ${account:sqlstring}"


def status_mappings() -> list[Json]:
    """The bands' colours, and `churned` for an account that has left the portfolio."""
    mappings = band_value_mappings()
    options = mappings[0]["options"]
    options["churned"] = {"color": "purple", "index": len(options), "text": "churned"}
    return mappings


def account() -> Json:
    g = Grid()
    current = "FROM account_health WHERE " + ACCOUNT
    g.add(
        stat(
            "Score",
            sql(f"SELECT round(score::numeric, 1) AS score {current}"),
            defaults={"thresholds": SCORE_THRESHOLDS, "color": {"mode": "thresholds"}},
        ),
        4,
        4,
    )
    g.add(
        stat(
            "Band",
            sql(
                "SELECT CASE WHEN lifecycle_status = 'churned' THEN 'churned' ELSE band END"
                f" AS band {current}"
            ),
            description="The score's band, or `churned`: the account has left the active "
            "portfolio (its score still shows below).",
            defaults={"mappings": status_mappings()},
        ),
        4,
        4,
    )
    g.add(
        stat(
            "Confidence",
            sql(f"SELECT confidence {current}"),
            description="Share of the model's weight that had data.",
            unit="percentunit",
        ),
        4,
        4,
    )
    g.add(stat("ARR", sql(f"SELECT arr {current}")), 4, 4)
    g.add(
        stat(
            "Days to renewal",
            sql(
                "SELECT CASE WHEN lifecycle_status = 'churned' THEN NULL"
                f" ELSE renewal_date - current_date END AS days_to_renewal {current}"
            ),
            description="Empty once the account has churned: there is nothing to renew.",
            unit="d",
        ),
        4,
        4,
    )
    g.add(
        stat(
            "Owner and stage",
            sql(
                "SELECT coalesce(csm_owner, 'unassigned') || ' · ' "
                f"|| coalesce(lifecycle_stage, 'no stage') AS owner {current}"
            ),
            unit="string",
        ),
        4,
        4,
    )
    g.add(
        timeseries(
            "Score",
            [
                sql(
                    f"""
                    SELECT at AS time, score
                    FROM score_history
                    WHERE {ACCOUNT} AND $__timeFilter(at)
                    ORDER BY at
                    """,
                    "time_series",
                )
            ],
            description="Every published score; alerts are shown as annotations.",
            defaults={
                "min": 0,
                "max": 100,
                "thresholds": SCORE_THRESHOLDS,
                "custom": {
                    "thresholdsStyle": {"mode": "line+area"},
                    "lineInterpolation": "stepAfter",
                },
            },
        ),
        16,
        8,
    )
    g.add(
        panel(
            "bargauge",
            "Components now",
            [
                sql(
                    f"""
                    SELECT c.key AS component, c.value::double precision AS score
                    FROM account_health a, jsonb_each_text(a.components) AS c
                    WHERE a.{ACCOUNT} AND c.value IS NOT NULL
                    ORDER BY 1
                    """
                )
            ],
            description="Components without data are left out of the score.",
            defaults={"min": 0, "max": 100, "thresholds": SCORE_THRESHOLDS},
            options={
                "orientation": "horizontal",
                "displayMode": "gradient",
                "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": True},
            },
        ),
        8,
        8,
    )
    g.add(
        timeseries(
            "Components over time",
            [
                sql(
                    f"""
                    SELECT h.at AS time, c.key AS metric, c.value::double precision AS value
                    FROM score_history h, jsonb_each_text(h.components) AS c
                    WHERE h.{ACCOUNT} AND $__timeFilter(h.at) AND c.value IS NOT NULL
                    ORDER BY 1, 2
                    """,
                    "time_series",
                )
            ],
            defaults={"min": 0, "max": 100, "custom": {"lineInterpolation": "stepAfter"}},
        ),
        12,
        8,
    )
    g.add(
        timeseries(
            "Driver impact over time",
            [
                sql(
                    f"""
                    SELECT h.at AS time, d.code AS metric, d.impact AS value
                    FROM score_history h,
                         jsonb_to_recordset(h.drivers) AS d(code text, impact double precision)
                    WHERE h.{ACCOUNT} AND $__timeFilter(h.at)
                    ORDER BY 1, 2
                    """,
                    "time_series",
                )
            ],
            description="Score points each driver added (positive) or took away (negative).",
            defaults={"custom": {"lineInterpolation": "stepAfter"}},
        ),
        12,
        8,
    )
    g.add(
        table(
            "Drivers now",
            sql(
                f"""
                SELECT d.impact, d.component, d.text, d.code
                FROM account_health a,
                     jsonb_to_recordset(a.drivers)
                         AS d(code text, text text, impact double precision, component text)
                WHERE a.{ACCOUNT}
                ORDER BY d.impact
                """
            ),
            description="Why the score is what it is: largest negative contributions first.",
            overrides=[
                {
                    "matcher": {"id": "byName", "options": "impact"},
                    "properties": [
                        {"id": "custom.cellOptions", "value": {"type": "color-text"}},
                        {
                            "id": "thresholds",
                            "value": {
                                "mode": "absolute",
                                "steps": [
                                    {"color": "red", "value": None},
                                    {"color": "green", "value": 0},
                                ],
                            },
                        },
                    ],
                }
            ],
        ),
        24,
        7,
    )
    g.row("Alerts")
    g.add(
        panel(
            "state-timeline",
            "Alert episodes",
            [
                sql(
                    f"""
                    SELECT at AS time, kind AS metric,
                           CASE WHEN status = 'resolved' THEN 0 ELSE 1 END AS value
                    FROM alerts
                    WHERE {ACCOUNT} AND $__timeFilter(at)
                    ORDER BY 1
                    """,
                    "time_series",
                )
            ],
            defaults={
                "mappings": [
                    {
                        "type": "value",
                        "options": {
                            "0": {"color": "green", "text": "resolved", "index": 0},
                            "1": {"color": "red", "text": "open", "index": 1},
                        },
                    }
                ]
            },
            options={"mergeValues": True, "showValue": "auto", "rowHeight": 0.8},
        ),
        24,
        5,
    )
    g.add(
        table(
            "Alert timeline",
            sql(
                f"""
                SELECT a.at AS time, a.kind, a.status, a.severity, a.band,
                       round(a.score::numeric, 1) AS score, a.summary,
                       coalesce((SELECT string_agg(s.sink || ': ' || s.outcome
                                    || CASE WHEN s.attempts > 1
                                            THEN ' after ' || s.attempts || ' attempts'
                                            ELSE '' END, ', ' ORDER BY s.sink)
                                 FROM alert_delivery_status s
                                 WHERE s.event_id = a.event_id), 'not delivered') AS deliveries
                FROM alerts a
                WHERE a.{ACCOUNT} AND $__timeFilter(a.at)
                ORDER BY a.at DESC
                """
            ),
            description="Every alert event for the account and what each sink did with it.",
            defaults={"mappings": band_value_mappings()},
        ),
        24,
        8,
    )
    variables = [
        sql_variable(
            "account",
            "Account",
            """
            SELECT account_id AS __value,
                   coalesce(name, account_id) || ' (' || band || ', ' || round(score) || ')'
                       AS __text
            FROM account_health
            ORDER BY score, account_id
            """,
            multi=False,
        )
    ]
    annotations = [
        {
            "name": "Alerts",
            "datasource": POSTGRES,
            "enable": True,
            "iconColor": "red",
            "target": sql(
                f"""
                SELECT at AS time, kind || ' ' || status || ': ' || summary AS text,
                       severity || ',' || kind AS tags
                FROM alerts
                WHERE {ACCOUNT} AND $__timeFilter(at)
                ORDER BY at
                """
            ),
        }
    ]
    return dashboard(
        "healthscore-account",
        "healthscore / Account",
        "One account: score history, components, drivers and its alerts.",
        g,
        variables=variables,
        annotations=annotations,
        time_from="now-90d",
        refresh="",
    )
