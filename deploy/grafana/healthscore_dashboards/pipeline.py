"""The Pipeline dashboard: the service itself, from Prometheus and the delivery tables."""

from __future__ import annotations

from .grafana import (
    Grid,
    Json,
    account_link,
    dashboard,
    prom,
    sql,
    stat,
    table,
    timeseries,
)

JOB = 'job="$job"'


def rate(metric: str, by: str = "", selector: str = "") -> str:
    labels = ",".join(filter(None, [JOB, selector]))
    inner = f"rate({metric}{{{labels}}}[$__rate_interval])"
    return f"sum by ({by}) ({inner})" if by else f"sum({inner})"


def lag_quantile(q: float, by: str = "le") -> str:
    return f"histogram_quantile({q}, {rate('healthscore_event_lag_seconds_bucket', by)})"


def pipeline() -> Json:
    g = Grid()
    g.add(
        stat(
            "Workers up",
            prom(f"sum(up{{{JOB}}})", instant=True),
            description="Workers Prometheus scraped successfully.",
            defaults={
                "thresholds": {
                    "mode": "absolute",
                    "steps": [{"color": "red", "value": None}, {"color": "green", "value": 1}],
                },
                "color": {"mode": "thresholds"},
            },
        ),
        6,
        4,
    )
    g.add(stat("Events / s", prom(rate("healthscore_events_total")), unit="ops"), 6, 4)
    g.add(
        stat(
            "Rejected share",
            prom(
                rate("healthscore_events_total", selector='outcome="rejected"')
                + " / "
                + rate("healthscore_events_total")
            ),
            unit="percentunit",
        ),
        6,
        4,
    )
    g.add(stat("Event-time lag p50", prom(lag_quantile(0.5)), unit="s"), 6, 4)

    g.row("Throughput and lag")
    g.add(
        timeseries(
            "Events by topic and outcome",
            [prom(rate("healthscore_events_total", "topic, outcome"), "{{topic}} {{outcome}}")],
            unit="ops",
        ),
        12,
        8,
    )
    g.add(
        timeseries(
            "Event-time lag",
            [
                prom(lag_quantile(0.5), "p50"),
                prom(lag_quantile(0.9), "p90"),
                prom(lag_quantile(0.99), "p99"),
            ],
            description=(
                "Processing time minus occurred_at of accepted events. High values mean the "
                "workers fall behind, or producers send old (backfilled) events."
            ),
            unit="s",
            defaults={"custom": {"scaleDistribution": {"type": "log", "log": 10}}},
        ),
        12,
        8,
    )
    g.add(
        timeseries(
            "Event-time lag p90 by topic",
            [prom(lag_quantile(0.9, "le, topic"), "{{topic}}")],
            unit="s",
            defaults={"custom": {"scaleDistribution": {"type": "log", "log": 10}}},
        ),
        12,
        8,
    )
    g.add(
        timeseries(
            "Dead-lettered messages",
            [prom(rate("healthscore_dlq_messages_total", "topic, reason"), "{{topic}} {{reason}}")],
            description="Messages sent to health.dlq, by source topic and reason.",
            unit="ops",
        ),
        12,
        8,
    )
    g.add(
        timeseries(
            "Re-routed messages and ignored fields",
            [
                prom(
                    rate("healthscore_repartitioned_messages_total", "topic"), "re-routed {{topic}}"
                ),
                prom(rate("healthscore_unknown_fields_total", "topic"), "unknown fields {{topic}}"),
            ],
            description="Messages that arrived on another partition than their key's (another "
            "partitioner than murmur2) and were re-routed through health.repartition; events "
            "whose fields the contract does not name were ignored.",
            unit="ops",
        ),
        12,
        8,
    )
    g.add(
        timeseries(
            "Scores computed and published",
            [
                prom(
                    rate("healthscore_scores_computed_total", "trigger"), "computed ({{trigger}})"
                ),
                prom(rate("healthscore_score_changes_total"), "published changes"),
            ],
            unit="ops",
        ),
        12,
        8,
    )
    g.add(
        timeseries(
            "Alert events emitted",
            [
                prom(
                    rate("healthscore_alerts_total", "kind, status"),
                    "{{kind}} {{status}}",
                )
            ],
            unit="ops",
        ),
        12,
        8,
    )

    g.row("Alert delivery")
    g.add(
        timeseries(
            "Deliveries by sink and outcome",
            [
                prom(
                    rate("healthscore_alert_deliveries_total", "sink, outcome"),
                    "{{sink}} {{outcome}}",
                )
            ],
            unit="ops",
        ),
        12,
        8,
    )
    g.add(
        timeseries(
            "Delivery failures (PostgreSQL)",
            [
                sql(
                    """
                    SELECT $__timeGroupAlias(at, $__interval),
                           sink || ' ' || outcome AS metric, count(*) AS value
                    FROM alert_deliveries
                    WHERE $__timeFilter(at) AND outcome <> 'delivered'
                    GROUP BY 1, 2
                    ORDER BY 1
                    """,
                    "time_series",
                )
            ],
            description="Failed attempts recorded by all workers (retrying = will be retried).",
            defaults={"custom": {"drawStyle": "bars", "stacking": {"mode": "normal"}}},
        ),
        12,
        8,
    )
    g.add(
        table(
            "Undelivered alerts",
            sql(
                """
                SELECT s.updated_at AS time, a.account_id, a.kind, a.status, a.severity,
                       s.sink, s.outcome, s.attempts, s.http_status, s.error
                FROM alert_delivery_status s JOIN alerts a USING (event_id)
                WHERE s.outcome <> 'delivered' AND $__timeFilter(s.updated_at)
                ORDER BY s.updated_at DESC
                LIMIT 200
                """
            ),
            description=(
                "Deliveries that finally failed (re-sent by `healthscore alerts resend`) or "
                "are still retrying."
            ),
            overrides=[account_link()],
        ),
        24,
        8,
    )

    g.row("Workers and PostgreSQL")
    g.add(
        timeseries(
            "Worker up",
            [prom(f"up{{{JOB}}}", "{{instance}}")],
            defaults={"min": 0, "max": 1, "custom": {"lineInterpolation": "stepAfter"}},
        ),
        8,
        7,
    )
    g.add(
        timeseries(
            "/metrics response time",
            [prom(f"scrape_duration_seconds{{{JOB}}}", "{{instance}}")],
            description="A slow scrape usually means CPU work is blocking a worker's event loop.",
            unit="s",
        ),
        8,
        7,
    )
    g.add(
        timeseries(
            "PostgreSQL writes",
            [
                prom(rate("healthscore_pg_rows_written_total", "table"), "rows {{table}}"),
                prom(
                    rate("healthscore_pg_write_failures_total", "instance"),
                    "failures {{instance}}",
                ),
            ],
            description="Failed batch writes are retried; offsets are committed only after.",
            unit="ops",
            overrides=[
                {
                    "matcher": {"id": "byRegexp", "options": "failures.*"},
                    "properties": [
                        {"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}}
                    ],
                }
            ],
        ),
        8,
        7,
    )
    variables = [
        {
            "name": "job",
            "label": "Prometheus job",
            "type": "textbox",
            "query": "healthscore",
            "current": {"text": "healthscore", "value": "healthscore"},
            "options": [{"selected": True, "text": "healthscore", "value": "healthscore"}],
            "hide": 0,
        }
    ]
    return dashboard(
        "healthscore-pipeline",
        "healthscore / Pipeline",
        "The service itself: throughput, event-time lag, DLQ, alert delivery, workers, writes.",
        g,
        variables=variables,
        time_from="now-6h",
        refresh="30s",
    )
