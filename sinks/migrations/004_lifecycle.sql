-- Lifecycle outcomes (models.lifecycle): an account is active, churned or resurrected.
-- A churned account has left the active portfolio: the views below count the ARR it
-- lost apart from ARR at risk. Rows written before carry no lifecycle and read as
-- never churned (active). Safe to run again: every step checks or repeats what it does.
ALTER TABLE account_health ADD COLUMN IF NOT EXISTS lifecycle_status text;
ALTER TABLE account_health ADD COLUMN IF NOT EXISTS churned_on date;
ALTER TABLE account_health ADD COLUMN IF NOT EXISTS arr_lost double precision;
ALTER TABLE account_health ADD COLUMN IF NOT EXISTS resurrected_on date;
-- The whole lifecycle as the API answers it: status, dates and every churn episode.
ALTER TABLE account_health ADD COLUMN IF NOT EXISTS lifecycle jsonb;
CREATE INDEX IF NOT EXISTS account_health_lifecycle_status
    ON account_health (lifecycle_status);

-- One row per churn episode (an account that churned twice has two), with what
-- became of it. Dates are UTC days of the events; the quarter is the churn's.
CREATE OR REPLACE VIEW churn_episodes AS
SELECT h.account_id,
       h.name,
       coalesce(h.segment, 'unknown') AS segment,
       coalesce(h.csm_owner, 'unassigned') AS csm_owner,
       (e ->> 'churned_on')::date AS churned_on,
       to_char((e ->> 'churned_on')::date, 'YYYY-"Q"Q') AS churn_quarter,
       (e ->> 'arr_lost')::double precision AS arr_lost,
       (e ->> 'resurrected_on')::date AS resurrected_on,
       e ->> 'resurrected_by' AS resurrected_by,
       (e ->> 'arr_won_back')::double precision AS arr_won_back,
       coalesce((e ->> 'rechurned')::boolean, false) AS rechurned
FROM account_health AS h
CROSS JOIN LATERAL jsonb_array_elements(coalesce(h.lifecycle -> 'episodes', '[]'::jsonb)) AS e;

-- Per quarter of the churns: how many, the ARR lost, how many came back since (and
-- the ARR of the contracts that brought them back), and how many of those churned
-- again within the model's lifecycle.rechurn_within_days.
CREATE OR REPLACE VIEW resurrection_by_quarter AS
SELECT churn_quarter AS quarter,
       count(*) AS churns,
       coalesce(sum(arr_lost), 0) AS arr_lost,
       count(resurrected_on) AS resurrections,
       count(resurrected_on)::double precision / count(*) AS resurrection_rate,
       coalesce(sum(arr_won_back), 0) AS arr_won_back,
       count(*) FILTER (WHERE rechurned) AS rechurned
FROM churn_episodes
GROUP BY churn_quarter;

-- The same over every churn (one row; a null rate without churns).
CREATE OR REPLACE VIEW resurrection_totals AS
SELECT count(*) AS churns,
       coalesce(sum(arr_lost), 0) AS arr_lost,
       count(resurrected_on) AS resurrections,
       count(resurrected_on)::double precision / nullif(count(*), 0) AS resurrection_rate,
       coalesce(sum(arr_won_back), 0) AS arr_won_back,
       count(*) FILTER (WHERE rechurned) AS rechurned
FROM churn_episodes;

-- The portfolio now: accounts and ARR in the bands (churned ones left out), of
-- which at risk (not healthy); churned accounts and the ARR they lost, apart; and
-- the resurrected accounts (in the bands too) with their ARR.
CREATE OR REPLACE VIEW portfolio_arr AS
WITH current AS (
    SELECT coalesce(lifecycle_status, 'active') AS status, band, arr, arr_lost
    FROM account_health
)
SELECT count(*) FILTER (WHERE status <> 'churned') AS accounts,
       coalesce(sum(arr) FILTER (WHERE status <> 'churned'), 0) AS arr,
       count(*) FILTER (WHERE status <> 'churned' AND band <> 'healthy') AS accounts_at_risk,
       coalesce(sum(arr) FILTER (WHERE status <> 'churned' AND band <> 'healthy'), 0)
           AS arr_at_risk,
       count(*) FILTER (WHERE status = 'churned') AS churned_accounts,
       coalesce(sum(arr_lost) FILTER (WHERE status = 'churned'), 0) AS arr_lost,
       count(*) FILTER (WHERE status = 'resurrected') AS resurrected_accounts,
       coalesce(sum(arr) FILTER (WHERE status = 'resurrected'), 0) AS resurrected_arr
FROM current;
