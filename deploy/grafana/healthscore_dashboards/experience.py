"""The Customer experience dashboard: NPS per role, CSAT, effort, first reply and active users,
now and over time, from the views of sinks/migrations/007_experience.sql (the figures GET
/portfolio/cx answers; docs/customer-experience.md defines them). Churned accounts are left out."""

from __future__ import annotations

from typing import Any

from .grafana import (
    Grid,
    Json,
    custom_variable,
    dashboard,
    panel,
    sql,
    stat,
    table,
    timeseries,
)

ALL = "FROM cx_now WHERE dimension = 'all'"
CHOSEN = "dimension = ${dimension:sqlstring}"
# The columns of the views' figures that are not plain counts, and their units.
FIGURE_UNITS = {
    "nps": "none",
    "csat": "percentunit",
    "csat_mean": "none",
    "effort_mean": "none",
    "first_reply_hours": "h",
    "dau_mau": "percentunit",
}
# The figures drawn over time per value of the chosen dimension: title, column of
# cx_by_day, description, unit and the axis' range.
OVER_TIME: list[tuple[str, str, str, str, Json]] = [
    ("NPS", "nps", "Over every answer.", "none", {"min": -100, "max": 100}),
    ("CSAT", "csat", "Share of answers 4-5.", "percentunit", {"min": 0, "max": 1}),
    (
        "Customer effort",
        "effort_mean",
        "Mean answer, 1-7, higher = easier.",
        "none",
        {"min": 1, "max": 7},
    ),
    (
        "First reply time",
        "first_reply_hours",
        "Mean hours from opened to the first response.",
        "h",
        {"min": 0},
    ),
    ("Active users", "active_users", "Distinct users, 30 days.", "short", {"min": 0}),
    (
        "DAU/MAU",
        "dau_mau",
        "Average daily active users / active users, 30 days.",
        "percentunit",
        {"min": 0, "max": 1},
    ),
]
NPS_RANGE: Json = {
    "min": -100,
    "max": 100,
    "thresholds": {
        "mode": "absolute",
        "steps": [
            {"color": "red", "value": None},
            {"color": "orange", "value": 0},
            {"color": "green", "value": 30},
        ],
    },
}


def units(**by_column: str) -> list[Json]:
    """Overrides giving these columns these units."""
    return [
        {"matcher": {"id": "byName", "options": column}, "properties": [{"id": "unit", "value": u}]}
        for column, u in by_column.items()
    ]


def over_time(title: str, column: str, description: str, **kwargs: Any) -> Json:
    """One series per value of the chosen dimension: the figure at the end of each day."""
    query = f"""
        SELECT day::timestamp AS time, value AS metric, {column} AS value
        FROM cx_by_day
        WHERE {CHOSEN} AND $__timeFilter(day)
        ORDER BY 1, 2
    """
    return timeseries(title, [sql(query, "time_series")], description=description, **kwargs)


def stats(g: Grid) -> None:
    g.add(
        stat(
            "NPS",
            sql(f"SELECT nps {ALL}"),
            description="100 x (promoters - detractors) / answers, each respondent's latest "
            "answer in the last 180 days, whatever the role.",
            defaults=NPS_RANGE,
        ),
        4,
        4,
    )
    g.add(
        stat(
            "CSAT",
            sql(f"SELECT csat {ALL}"),
            description="Share of CSAT answers that are 4 or 5, tickets resolved in the "
            "last 90 days.",
            unit="percentunit",
        ),
        4,
        4,
    )
    g.add(
        stat(
            "Customer effort",
            sql(f"SELECT effort_mean {ALL}"),
            description="Mean customer effort answer, 1-7 (higher = easier), tickets "
            "resolved in the last 90 days.",
            unit="none",
        ),
        4,
        4,
    )
    g.add(
        stat(
            "First reply time",
            sql(f"SELECT first_reply_hours {ALL}"),
            description="Mean hours from opened to the first response, tickets opened in "
            "the last 90 days.",
            unit="h",
        ),
        4,
        4,
    )
    g.add(
        stat(
            "Active users",
            sql(f"SELECT active_users {ALL}"),
            description="Distinct users who logged in over the last 30 days.",
        ),
        4,
        4,
    )
    g.add(
        stat(
            "DAU/MAU",
            sql(f"SELECT dau_mau {ALL}"),
            description="Average daily active users over the last 30 days / active users.",
            unit="percentunit",
        ),
        4,
        4,
    )


def by_role(g: Grid) -> None:
    g.row("By role")
    g.add(
        table(
            "NPS and active users per role",
            sql(
                """
                SELECT persona AS role, answers, promoters, passives, detractors, nps,
                       active_users
                FROM cx_personas_now WHERE dimension = 'all' ORDER BY position
                """
            ),
            description="Each role's respondents (their latest answer in 180 days) and "
            "users active in 30 days; no_role: people no event named a role for.",
            overrides=units(nps="none"),
        ),
        12,
        8,
    )
    g.add(
        panel(
            "barchart",
            "NPS per role",
            [
                sql(
                    """
                    SELECT persona AS role, nps FROM cx_personas_now
                    WHERE dimension = 'all' AND answers > 0 ORDER BY position
                    """
                )
            ],
            description="Roles with answers.",
            options={"orientation": "horizontal", "showValue": "auto"},
            defaults=NPS_RANGE,
        ),
        12,
        8,
    )
    g.add(
        timeseries(
            "NPS per role over time",
            [
                sql(
                    """
                    SELECT day::timestamp AS time, persona AS metric, nps AS value
                    FROM cx_personas_by_day
                    WHERE dimension = 'all' AND answers > 0 AND $__timeFilter(day)
                    ORDER BY 1, 2
                    """,
                    "time_series",
                )
            ],
            description="Each role's NPS as it stood at the end of each day (its "
            "respondents' latest answers of the 180 days before).",
            defaults={"min": -100, "max": 100},
        ),
        24,
        8,
    )


def by_dimension(g: Grid) -> None:
    g.row("By $dimension")
    g.add(
        table(
            "Per $dimension",
            sql(
                f"""
                SELECT value AS "$dimension", accounts, answers, nps, csat, csat_mean,
                       effort_mean, first_reply_hours, active_users, dau_mau
                FROM cx_now WHERE {CHOSEN} ORDER BY value
                """
            ),
            description="Every figure of the active portfolio's accounts in each group "
            "(`unknown`, or `unassigned` for owners, when the profile has none).",
            overrides=units(**FIGURE_UNITS),
        ),
        24,
        8,
    )
    per_role = table(
        "NPS per role and $dimension",
        sql(
            f"""
            SELECT value AS "group", persona AS role, nps
            FROM cx_personas_now WHERE {CHOSEN} ORDER BY value, position
            """
        ),
        description="Each role's NPS in each group (rows), the roles as columns; empty "
        "where the role has no answer.",
        unit="none",
    )
    # One row per group, one column per role, in the views' order of the roles.
    per_role["transformations"] = [
        {
            "id": "groupingToMatrix",
            "options": {"columnField": "role", "rowField": "group", "valueField": "nps"},
        }
    ]
    g.add(per_role, 24, 8)
    for title, column, description, unit, limits in OVER_TIME:
        panel = over_time(f"{title} per $dimension", column, description, unit=unit)
        panel["fieldConfig"]["defaults"].update(limits)
        g.add(panel, 12, 8)


def per_week(g: Grid) -> None:
    g.row("Per week")
    g.add(
        table(
            "Per week",
            sql(
                """
                SELECT week, accounts, answers, nps, csat, effort_mean, first_reply_hours,
                       active_users, dau_mau
                FROM cx_by_week
                WHERE dimension = 'all' AND $__timeFilter(day)
                ORDER BY week DESC
                """
            ),
            description="The figures at the end of each week (Monday to Sunday; this week: today).",
            overrides=units(**FIGURE_UNITS),
        ),
        24,
        8,
    )


def experience() -> Json:
    g = Grid()
    stats(g)
    by_role(g)
    by_dimension(g)
    per_week(g)
    return dashboard(
        "healthscore-experience",
        "healthscore / Customer experience",
        "Customer experience per role and per segment, region, line of business or owner: "
        "NPS, CSAT, customer effort, first reply time and active users, now and over time. "
        "Churned accounts are left out.",
        g,
        variables=[
            custom_variable(
                "dimension", "Group by", ["segment", "region", "line_of_business", "csm_owner"]
            )
        ],
        time_from="now-30d",
        refresh="5m",
    )
