-- Expansion signals (models/growth): which healthy accounts could buy more, and why.
-- models/growth/figures.py computes the same figures for GET /portfolio/growth; the
-- Portfolio dashboard's Growth row reads these views. Rows written before carry no
-- growth: no candidates. Safe to run again: every step checks or repeats what it does.
ALTER TABLE account_health ADD COLUMN IF NOT EXISTS growth_candidate boolean;
ALTER TABLE account_health ADD COLUMN IF NOT EXISTS growth_strength double precision;
-- The whole assessment as the API answers it: candidate, strength and drivers.
ALTER TABLE account_health ADD COLUMN IF NOT EXISTS growth jsonb;
CREATE INDEX IF NOT EXISTS account_health_growth_candidates
    ON account_health (growth_strength DESC) WHERE growth_candidate;

-- The growth list: the expansion candidates now (a churned account never is one), with
-- their signals, best first by `rank` (strength, then ARR, then account_id).
CREATE OR REPLACE VIEW growth_candidates AS
SELECT row_number() OVER (ORDER BY h.growth_strength DESC, h.arr DESC NULLS LAST, h.account_id)
           AS rank,
       h.account_id, h.name, h.segment, h.region, h.csm_owner, h.arr, h.renewal_date, h.score,
       h.growth_strength AS strength,
       coalesce(h.growth -> 'drivers', '[]'::jsonb) AS drivers,
       (SELECT string_agg(d.value ->> 'text', '; ' ORDER BY d.position)
        FROM jsonb_array_elements(h.growth -> 'drivers') WITH ORDINALITY AS d (value, position))
           AS why,
       h.updated_at
FROM account_health AS h
WHERE h.growth_candidate AND h.lifecycle_status IS DISTINCT FROM 'churned';

-- One row per candidate and growth signal that holds for it.
CREATE OR REPLACE VIEW growth_candidate_signals AS
SELECT c.account_id, c.name, c.segment, c.csm_owner, c.arr, c.strength,
       d.value ->> 'code' AS signal,
       d.value ->> 'text' AS text,
       (d.value ->> 'impact')::double precision AS points
FROM growth_candidates AS c
CROSS JOIN LATERAL jsonb_array_elements(c.drivers) AS d (value);

-- Per growth signal (every one, zeros included), the candidates it holds for and their ARR.
CREATE OR REPLACE VIEW growth_signals AS
SELECT s.signal, s.position, count(c.account_id) AS accounts, coalesce(sum(c.arr), 0) AS arr
FROM (
    VALUES ('growth.users_rising', 1), ('growth.breadth_rising', 2),
           ('growth.decision_maker_promoters', 3), ('growth.renewal_approaching', 4)
) AS s (signal, position)
LEFT JOIN growth_candidate_signals AS c USING (signal)
GROUP BY s.signal, s.position;

-- The candidates, their ARR, and the healthy accounts of the active portfolio they are
-- from: one row.
CREATE OR REPLACE VIEW growth_summary AS
SELECT c.candidates, c.arr, h.healthy_accounts,
       c.candidates::double precision / nullif(h.healthy_accounts, 0) AS candidate_share
FROM (SELECT count(*) AS candidates, coalesce(sum(arr), 0) AS arr FROM growth_candidates) AS c
CROSS JOIN (
    SELECT count(*) AS healthy_accounts
    FROM account_health
    WHERE band = 'healthy' AND lifecycle_status IS DISTINCT FROM 'churned'
) AS h;
