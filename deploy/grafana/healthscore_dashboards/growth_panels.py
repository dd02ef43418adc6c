"""The Portfolio dashboard's Growth row: healthy accounts that could buy more, and why.

The panels read the views of sinks/migrations/006_growth.sql (growth_candidates,
growth_candidate_signals), which hold what GET /portfolio/growth answers, and the
workers' expansion gauges. A churned account is never a candidate.
"""

from __future__ import annotations

from .grafana import Grid, account_link, prom, sql, stat, table, timeseries

GROWTH_COLOR = {"color": {"mode": "fixed", "fixedColor": "green"}}


def growth_row(g: Grid, where: str, active: str) -> None:
    """Add the row; `where` is the dashboard's segment and owner filter, `active` the
    condition of the accounts in the active portfolio."""
    g.row("Growth")
    g.add(
        stat(
            "Expansion candidates",
            sql(f"SELECT count(*) AS candidates FROM growth_candidates WHERE {where}"),
            description="Healthy accounts whose growth signals reach the model's "
            "growth.min_strength (docs/how-the-score-works.md, Growth).",
            defaults=GROWTH_COLOR,
        ),
        4,
        4,
    )
    g.add(
        stat(
            "ARR of expansion candidates",
            sql(
                "SELECT coalesce(sum(arr), 0) AS arr_of_candidates "
                f"FROM growth_candidates WHERE {where}"
            ),
            description="Annual recurring revenue of the candidates: the base to expand on.",
            unit="currencyUSD",
            defaults=GROWTH_COLOR,
        ),
        5,
        4,
    )
    g.add(
        stat(
            "Candidates among healthy accounts",
            sql(
                f"SELECT (SELECT count(*) FROM growth_candidates WHERE {where})::double precision"
                " / nullif(count(*), 0) AS candidate_share FROM account_health "
                f"WHERE band = 'healthy' AND {active} AND {where}"
            ),
            description="Expansion candidates / healthy accounts of the active portfolio.",
            unit="percentunit",
        ),
        5,
        4,
    )
    g.add(
        stat(
            "Candidates renewing soon",
            sql(
                "SELECT count(*) AS candidates, coalesce(sum(arr), 0) AS arr "
                "FROM growth_candidate_signals "
                f"WHERE signal = 'growth.renewal_approaching' AND {where}"
            ),
            description="Candidates whose next renewal is within the model's "
            "growth.signals.renewal_approaching.within_days: propose the expansion with it.",
            defaults=GROWTH_COLOR,
        ),
        5,
        4,
    )
    g.add(
        table(
            "Why they are candidates",
            sql(
                f"""
                SELECT replace(signal, 'growth.', '') AS signal, count(*) AS candidates,
                       coalesce(sum(arr), 0) AS arr
                FROM growth_candidate_signals
                WHERE {where}
                GROUP BY signal
                ORDER BY candidates DESC, signal
                """
            ),
            description="How many candidates each growth signal holds for, and their ARR.",
        ),
        5,
        4,
    )
    g.add(
        table(
            "Expansion candidates, best first",
            sql(
                f"""
                SELECT rank, account_id, name, segment, csm_owner,
                       round(strength::numeric) AS strength, arr, renewal_date,
                       renewal_date - current_date AS days_to_renewal,
                       round(score::numeric, 1) AS score, why
                FROM growth_candidates
                WHERE {where}
                ORDER BY rank
                LIMIT 50
                """
            ),
            description="Strongest growth signals first, then the most ARR; `why` names each "
            "signal that holds.",
            overrides=[account_link()],
        ),
        16,
        9,
    )
    g.add(
        timeseries(
            "Expansion candidates over time",
            [
                prom("sum(healthscore_expansion_candidates)", "candidates"),
                prom("sum(healthscore_expansion_arr)", "ARR of candidates"),
            ],
            description="From the workers' gauges (the whole active portfolio).",
            overrides=[
                {
                    "matcher": {"id": "byName", "options": "ARR of candidates"},
                    "properties": [
                        {"id": "unit", "value": "currencyUSD"},
                        {"id": "custom.axisPlacement", "value": "right"},
                    ],
                }
            ],
        ),
        8,
        9,
    )
