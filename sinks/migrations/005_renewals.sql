-- Renewal records, and the renewal desk's views for Grafana. docs/renewal-desk.md defines
-- every figure; models/renewals/kpis.py computes the same ones for GET /portfolio/renewals.

-- Every contract's latest renewal record that a health carried. Never pruned: the KPIs
-- of past quarters outlive the worker state's window. A replayed record changes nothing,
-- and an older one never replaces a newer one (sinks/postgres.py orders them as the
-- account state does).
CREATE TABLE IF NOT EXISTS renewals (
    account_id   text NOT NULL,
    contract_id  text NOT NULL,
    status       text NOT NULL,
    renewal_date date NOT NULL,
    arr          double precision NOT NULL,
    new_arr      double precision,
    decided_at   timestamptz NOT NULL,
    PRIMARY KEY (account_id, contract_id)
);
CREATE INDEX IF NOT EXISTS renewals_renewal_date ON renewals (renewal_date);

-- The contracts the current health carries, so the API answers one shape from either source.
ALTER TABLE account_health ADD COLUMN IF NOT EXISTS contracts jsonb;

-- How the desk counts: the model's `renewals` section, written by each worker as it starts.
CREATE TABLE IF NOT EXISTS renewal_settings (
    only_row                boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    model_version           text NOT NULL,
    fiscal_year_start_month integer NOT NULL CHECK (fiscal_year_start_month BETWEEN 1 AND 12),
    window_days             integer NOT NULL,
    target_share            double precision NOT NULL,
    calibration_source      text NOT NULL,
    calibration_days_before integer,
    updated_at              timestamptz NOT NULL
);

-- The churn calibration per band, with the probability the forecast uses.
CREATE TABLE IF NOT EXISTS renewal_calibration (
    band              text PRIMARY KEY,
    renewals          integer NOT NULL,
    churned           integer NOT NULL,
    churn_probability double precision NOT NULL
);

-- Fiscal quarters are counted from the fiscal year that starts in year 0, as in
-- models/renewals/quarters.py: quarter i starts i * 3 + start_month - 1 months after
-- January of year 0, and its fiscal year is named after the calendar year it ends in.
CREATE OR REPLACE FUNCTION renewal_month_start(months integer) RETURNS date
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT make_date(months / 12, months % 12 + 1, 1) $$;

CREATE OR REPLACE FUNCTION renewal_quarter_label(quarter_index integer, start_month integer)
    RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
        SELECT 'FY' || (quarter_index / 4 + CASE WHEN start_month > 1 THEN 1 ELSE 0 END)
            || ' Q' || (quarter_index % 4 + 1)
    $$;

-- Today (UTC), the settings, and the current quarter and fiscal year: one row.
CREATE OR REPLACE VIEW renewal_calendar AS
SELECT s.today, s.fiscal_year_start_month, s.window_days, s.target_share, q.current_quarter,
       renewal_quarter_label(q.current_quarter, s.fiscal_year_start_month) AS quarter_label,
       renewal_month_start(q.current_quarter * 3 + s.fiscal_year_start_month - 1)
           AS quarter_starts_on,
       renewal_month_start((q.current_quarter + 1) * 3 + s.fiscal_year_start_month - 1) - 1
           AS quarter_ends_on,
       renewal_month_start((q.current_quarter / 4) * 12 + s.fiscal_year_start_month - 1)
           AS year_starts_on
FROM (
    SELECT (now() AT TIME ZONE 'UTC')::date AS today, fiscal_year_start_month, window_days,
           target_share
    FROM renewal_settings
) AS s
CROSS JOIN LATERAL (
    SELECT (extract(year FROM s.today)::integer * 12 + extract(month FROM s.today)::integer
            - s.fiscal_year_start_month) / 3 AS current_quarter
) AS q;

-- Each quarter from Q1 of the previous fiscal year through the current one (period
-- 'quarter'), the quarter to date and the fiscal year to date: the renewals due in it.
CREATE OR REPLACE VIEW renewal_periods AS
WITH periods AS (
    SELECT 'quarter' AS period, i AS quarter_index, c.fiscal_year_start_month AS start_month,
           renewal_quarter_label(i, c.fiscal_year_start_month) AS label,
           renewal_month_start(i * 3 + c.fiscal_year_start_month - 1) AS starts_on,
           renewal_month_start((i + 1) * 3 + c.fiscal_year_start_month - 1) - 1 AS ends_on
    FROM renewal_calendar AS c,
         generate_series((c.current_quarter / 4 - 1) * 4, c.current_quarter) AS i
    UNION ALL
    SELECT 'quarter_to_date', c.current_quarter, c.fiscal_year_start_month,
           c.quarter_label || ' to date', c.quarter_starts_on, c.today
    FROM renewal_calendar AS c
    UNION ALL
    SELECT 'year_to_date', c.current_quarter, c.fiscal_year_start_month,
           split_part(c.quarter_label, ' ', 1) || ' to date', c.year_starts_on, c.today
    FROM renewal_calendar AS c
), figures AS (
    SELECT p.period, p.quarter_index, p.start_month, p.label, p.starts_on, p.ends_on,
           count(r.contract_id) AS due,
           coalesce(sum(r.arr), 0) AS due_arr,
           count(r.contract_id) FILTER (WHERE r.retained) AS renewed,
           coalesce(sum(r.arr) FILTER (WHERE r.retained), 0) AS renewed_arr,
           count(r.contract_id) FILTER (WHERE r.retained AND r.decided_on <= r.renewal_date)
               AS renewed_on_time,
           coalesce(sum(r.arr) FILTER (WHERE r.retained AND r.decided_on <= r.renewal_date), 0)
               AS renewed_on_time_arr,
           count(r.contract_id) FILTER (WHERE r.retained AND r.decided_on > r.renewal_date)
               AS renewed_late,
           coalesce(sum(r.arr) FILTER (WHERE r.retained AND r.decided_on > r.renewal_date), 0)
               AS renewed_late_arr,
           count(r.contract_id) FILTER (WHERE r.status = 'churned') AS churned,
           coalesce(sum(r.arr) FILTER (WHERE r.status = 'churned'), 0) AS churned_arr,
           count(DISTINCT r.account_id) FILTER (WHERE r.status = 'churned') AS churned_accounts,
           count(r.contract_id) FILTER (WHERE r.status = 'upcoming') AS pending,
           coalesce(sum(r.arr) FILTER (WHERE r.status = 'upcoming'), 0) AS pending_arr
    FROM periods AS p
    LEFT JOIN (
        SELECT account_id, contract_id, status, renewal_date, arr,
               status IN ('renewed', 'expanded', 'contracted') AS retained,
               (decided_at AT TIME ZONE 'UTC')::date AS decided_on
        FROM renewals
    ) AS r ON r.renewal_date BETWEEN p.starts_on AND p.ends_on
    GROUP BY p.period, p.quarter_index, p.start_month, p.label, p.starts_on, p.ends_on
)
SELECT period, label,
       quarter_index / 4 + CASE WHEN start_month > 1 THEN 1 ELSE 0 END AS fiscal_year,
       quarter_index % 4 + 1 AS quarter, starts_on, ends_on,
       due, due_arr, renewed, renewed_arr, renewed_on_time, renewed_on_time_arr,
       renewed_late, renewed_late_arr, churned, churned_arr, churned_accounts,
       pending, pending_arr,
       renewed::double precision / nullif(renewed + churned, 0) AS renewal_rate_by_count,
       renewed_arr / nullif(renewed_arr + churned_arr, 0) AS renewal_rate_by_arr
FROM figures;

-- Renewals due from today through today + window_days, each with where it stands: renewed
-- or churned when decided, else the current band of its account.
CREATE OR REPLACE VIEW renewal_due_soon AS
SELECT r.account_id, h.name, h.segment, h.csm_owner, r.contract_id, r.renewal_date,
       r.renewal_date - c.today AS days_to_renewal,
       CASE
           WHEN r.status IN ('renewed', 'expanded', 'contracted') THEN 'renewed'
           WHEN r.status = 'churned' THEN 'churned'
           ELSE h.band
       END AS status,
       h.band, h.score, r.arr
FROM renewals AS r
JOIN account_health AS h USING (account_id)
CROSS JOIN renewal_calendar AS c
WHERE r.renewal_date BETWEEN c.today AND c.today + c.window_days;

-- The renewals due soon per status (every status, zeros for an empty one).
CREATE OR REPLACE VIEW renewal_due_soon_statuses AS
SELECT s.status, s.position, count(d.contract_id) AS renewals, coalesce(sum(d.arr), 0) AS arr
FROM (
    VALUES ('renewed', 1), ('healthy', 2), ('at_risk', 3), ('critical', 4), ('churned', 5)
) AS s (status, position)
LEFT JOIN renewal_due_soon AS d USING (status)
GROUP BY s.status, s.position;

-- The renewal opportunity due soon, its share in good health against the target, and the
-- undecided renewals already overdue (not counted in the opportunity): one row.
CREATE OR REPLACE VIEW renewal_due_soon_summary AS
SELECT c.today AS starts_on, c.today + c.window_days AS ends_on, c.window_days AS days,
       t.renewals, t.arr, t.good_arr / nullif(t.arr, 0) AS good_health_share, c.target_share,
       t.good_arr / nullif(t.arr, 0) >= c.target_share AS meets_target,
       o.renewals AS overdue, o.arr AS overdue_arr
FROM renewal_calendar AS c
CROSS JOIN (
    SELECT count(*) AS renewals, coalesce(sum(arr), 0) AS arr,
           coalesce(sum(arr) FILTER (WHERE status IN ('renewed', 'healthy')), 0) AS good_arr
    FROM renewal_due_soon
) AS t
CROSS JOIN LATERAL (
    SELECT count(*) AS renewals, coalesce(sum(arr), 0) AS arr
    FROM renewals
    WHERE status = 'upcoming' AND renewal_date < c.today
) AS o;

-- Undecided renewals due by the end of the current quarter (overdue ones included), per
-- current band of the account, with the calibrated churn probability and expected loss.
CREATE OR REPLACE VIEW renewal_forecast_bands AS
SELECT b.band, b.position, count(p.contract_id) AS renewals, coalesce(sum(p.arr), 0) AS arr,
       cal.churn_probability,
       coalesce(sum(p.arr), 0) * cal.churn_probability AS expected_churn_arr
FROM (VALUES ('healthy', 1), ('at_risk', 2), ('critical', 3)) AS b (band, position)
CROSS JOIN renewal_calendar AS c
JOIN renewal_calibration AS cal ON cal.band = b.band
LEFT JOIN (
    SELECT r.contract_id, r.arr, r.renewal_date, h.band
    FROM renewals AS r
    JOIN account_health AS h USING (account_id)
    WHERE r.status = 'upcoming'
) AS p ON p.band = b.band AND p.renewal_date <= c.quarter_ends_on
GROUP BY b.band, b.position, cal.churn_probability;

-- The cost of churn to the end of the current quarter: lost so far, plus churn already
-- decided for renewals due later this quarter, plus the pending bands' expected loss.
CREATE OR REPLACE VIEW renewal_forecast AS
SELECT c.quarter_label AS quarter, c.quarter_ends_on AS ends_on,
       lost.arr AS churn_cost_to_date,
       ahead.renewals AS churned_ahead, ahead.arr AS churned_ahead_arr,
       pending.renewals AS pending, pending.arr AS pending_arr,
       ahead.arr + pending.expected AS expected_churn_arr,
       lost.arr + ahead.arr + pending.expected AS forecast_churn_arr
FROM renewal_calendar AS c
CROSS JOIN LATERAL (
    SELECT coalesce(sum(arr), 0) AS arr
    FROM renewals
    WHERE status = 'churned' AND renewal_date BETWEEN c.quarter_starts_on AND c.today
) AS lost
CROSS JOIN LATERAL (
    SELECT count(*) AS renewals, coalesce(sum(arr), 0) AS arr
    FROM renewals
    WHERE status = 'churned' AND renewal_date > c.today AND renewal_date <= c.quarter_ends_on
) AS ahead
CROSS JOIN (
    SELECT coalesce(sum(renewals), 0) AS renewals, coalesce(sum(arr), 0) AS arr,
           coalesce(sum(expected_churn_arr), 0) AS expected
    FROM renewal_forecast_bands
) AS pending;
