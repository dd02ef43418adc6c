-- The read-only PostgreSQL role for Grafana's "healthscore PostgreSQL" data source.
-- Run as the owner of the healthscore tables after the workers have migrated the
-- schema (re-running is harmless); then set a password outside version control:
--   ALTER ROLE healthscore_grafana PASSWORD '...';
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'healthscore_grafana') THEN
        CREATE ROLE healthscore_grafana LOGIN;
    END IF;
END
$$;

-- Grafana runs any SQL a dashboard editor types: reads only, and not for long.
ALTER ROLE healthscore_grafana SET default_transaction_read_only = on;
ALTER ROLE healthscore_grafana SET statement_timeout = '30s';

GRANT USAGE ON SCHEMA public TO healthscore_grafana;
GRANT SELECT ON account_health, score_history, alerts, alert_deliveries, alert_delivery_status
    TO healthscore_grafana;
GRANT SELECT ON churn_episodes, resurrection_by_quarter, resurrection_totals, portfolio_arr
    TO healthscore_grafana;
-- The renewal desk's records, settings and views (sinks/migrations/005_renewals.sql).
GRANT SELECT ON renewals, renewal_settings, renewal_calibration, renewal_calendar,
    renewal_periods, renewal_due_soon, renewal_due_soon_statuses, renewal_due_soon_summary,
    renewal_forecast_bands, renewal_forecast
    TO healthscore_grafana;
-- Customer experience per persona: the counts per day and the views
-- (sinks/migrations/007_experience.sql).
GRANT SELECT ON experience_days, cx_members, cx_figures, cx_persona_figures, cx_now,
    cx_personas_now, cx_by_day, cx_personas_by_day, cx_by_week, cx_personas_by_week
    TO healthscore_grafana;
-- The growth list's views (sinks/migrations/006_growth.sql).
GRANT SELECT ON growth_candidates, growth_candidate_signals, growth_signals, growth_summary
    TO healthscore_grafana;
