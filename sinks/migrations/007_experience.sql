-- Customer experience per persona (models/experience): each account's counts, current and
-- per day, and the views of docs/customer-experience.md; models/experience/figures.py
-- computes the same figures for GET /portfolio/cx. Every figure is a ratio of counts
-- summed over the accounts. Churned accounts are left out: now, those churned now; on a
-- past day, those churned on that day. Safe to run again: every step checks or repeats
-- what it does.

-- The counts the current health carries (Health.experience); null for rows written before.
ALTER TABLE account_health ADD COLUMN IF NOT EXISTS experience jsonb;

-- Each account's counts at the end of every UTC day it was evaluated on: the latest
-- evaluation of the day, with the profile and the lifecycle status it had then. An account
-- not evaluated on a day kept the counts of its previous row. Never pruned.
CREATE TABLE IF NOT EXISTS experience_days (
    account_id       text NOT NULL,
    day              date NOT NULL,
    updated_at       timestamptz NOT NULL,
    segment          text,
    region           text,
    line_of_business text,
    csm_owner        text,
    lifecycle_status text,
    experience       jsonb NOT NULL,
    PRIMARY KEY (account_id, day)
);

-- The groups an account counts in: 'all', and its value of each dimension.
CREATE OR REPLACE FUNCTION cx_groups(
    segment text, region text, line_of_business text, csm_owner text
) RETURNS TABLE (dimension text, value text)
    LANGUAGE sql IMMUTABLE
    AS $$
        VALUES ('all', 'all'),
               ('segment', coalesce(segment, 'unknown')),
               ('region', coalesce(region, 'unknown')),
               ('line_of_business', coalesce(line_of_business, 'unknown')),
               ('csm_owner', coalesce(csm_owner, 'unassigned'))
    $$;

-- The accounts counted, once now (period 'now', day = today) and once for every day from
-- the first stored through today (period 'day'), each in every group it counts in.
CREATE OR REPLACE VIEW cx_members AS
WITH spans AS (
    SELECT e.*, lead(e.day) OVER (PARTITION BY e.account_id ORDER BY e.day) AS next_day
    FROM experience_days AS e
), members AS (
    SELECT 'now' AS period, (now() AT TIME ZONE 'UTC')::date AS day, account_id, segment,
           region, line_of_business, csm_owner, experience
    FROM account_health
    WHERE experience IS NOT NULL AND lifecycle_status IS DISTINCT FROM 'churned'
    UNION ALL
    SELECT 'day', d.day::date, s.account_id, s.segment, s.region, s.line_of_business,
           s.csm_owner, s.experience
    FROM spans AS s
    CROSS JOIN LATERAL generate_series(
        s.day, coalesce(s.next_day - 1, (now() AT TIME ZONE 'UTC')::date), interval '1 day'
    ) AS d (day)
    WHERE s.lifecycle_status IS DISTINCT FROM 'churned'
)
SELECT m.period, m.day, g.dimension, g.value, m.account_id, m.experience
FROM members AS m
CROSS JOIN LATERAL cx_groups(m.segment, m.region, m.line_of_business, m.csm_owner) AS g;

-- Per period, day and group: NPS over every answer, CSAT, effort, first reply and active
-- users, as counts and as the figures.
CREATE OR REPLACE VIEW cx_figures AS
WITH sums AS (
    SELECT m.period, m.day, m.dimension, m.value,
           count(*) AS accounts,
           sum(n.promoters) AS promoters, sum(n.passives) AS passives,
           sum(n.detractors) AS detractors,
           sum((m.experience #>> '{csat,answers}')::integer) AS csat_answers,
           sum((m.experience #>> '{csat,satisfied}')::integer) AS csat_satisfied,
           sum((m.experience #>> '{csat,total}')::integer) AS csat_total,
           sum((m.experience #>> '{effort,answers}')::integer) AS effort_answers,
           sum((m.experience #>> '{effort,total}')::integer) AS effort_total,
           sum((m.experience #>> '{first_reply,tickets}')::integer) AS first_reply_tickets,
           sum((m.experience #>> '{first_reply,hours}')::double precision)
               AS first_reply_hours_total,
           sum((m.experience #>> '{activity,users}')::integer) AS active_users,
           sum((m.experience #>> '{activity,user_days}')::integer) AS user_days,
           sum((m.experience #>> '{activity,user_days}')::double precision
               / (m.experience #>> '{activity,days}')::double precision) AS daily_active_users
    FROM cx_members AS m
    CROSS JOIN LATERAL (
        SELECT coalesce(sum((p.value ->> 'promoters')::integer), 0)::integer AS promoters,
               coalesce(sum((p.value ->> 'passives')::integer), 0)::integer AS passives,
               coalesce(sum((p.value ->> 'detractors')::integer), 0)::integer AS detractors
        FROM jsonb_each(m.experience -> 'personas') AS p
    ) AS n
    GROUP BY m.period, m.day, m.dimension, m.value
)
SELECT period, day, dimension, value, accounts,
       promoters + passives + detractors AS answers, promoters, passives, detractors,
       100.0::double precision * (promoters - detractors)
           / nullif(promoters + passives + detractors, 0) AS nps,
       csat_answers, csat_satisfied,
       csat_satisfied::double precision / nullif(csat_answers, 0) AS csat,
       csat_total::double precision / nullif(csat_answers, 0) AS csat_mean,
       effort_answers, effort_total::double precision / nullif(effort_answers, 0) AS effort_mean,
       first_reply_tickets,
       first_reply_hours_total / nullif(first_reply_tickets, 0) AS first_reply_hours,
       active_users, user_days, daily_active_users,
       daily_active_users / nullif(active_users, 0) AS dau_mau
FROM sums;

-- Per period, day, group and persona (the six roles and no_role, zeros included): NPS
-- answers and the NPS, and active users.
CREATE OR REPLACE VIEW cx_persona_figures AS
WITH sums AS (
    SELECT m.period, m.day, m.dimension, m.value, p.persona, p.position,
           sum(coalesce((m.experience -> 'personas' -> p.persona ->> 'promoters')::integer, 0))
               AS promoters,
           sum(coalesce((m.experience -> 'personas' -> p.persona ->> 'passives')::integer, 0))
               AS passives,
           sum(coalesce((m.experience -> 'personas' -> p.persona ->> 'detractors')::integer, 0))
               AS detractors,
           sum(coalesce((m.experience -> 'personas' -> p.persona ->> 'active_users')::integer, 0))
               AS active_users
    FROM cx_members AS m
    CROSS JOIN (
        VALUES ('finance_executive', 1), ('business_executive', 2), ('department_manager', 3),
               ('end_user', 4), ('it_leader', 5), ('technical_expert', 6), ('no_role', 7)
    ) AS p (persona, position)
    GROUP BY m.period, m.day, m.dimension, m.value, p.persona, p.position
)
SELECT period, day, dimension, value, persona, position,
       promoters + passives + detractors AS answers, promoters, passives, detractors,
       100.0::double precision * (promoters - detractors)
           / nullif(promoters + passives + detractors, 0) AS nps,
       active_users
FROM sums;

-- Now: the active portfolio as the accounts' current healths count it.
CREATE OR REPLACE VIEW cx_now AS
SELECT * FROM cx_figures WHERE period = 'now';

CREATE OR REPLACE VIEW cx_personas_now AS
SELECT * FROM cx_persona_figures WHERE period = 'now';

-- Over time: the figures as they stood at the end of each UTC day (today: so far).
CREATE OR REPLACE VIEW cx_by_day AS
SELECT * FROM cx_figures WHERE period = 'day';

CREATE OR REPLACE VIEW cx_personas_by_day AS
SELECT * FROM cx_persona_figures WHERE period = 'day';

-- Per ISO week (from Monday): the figures at the end of its last day, or today's for the
-- current week.
CREATE OR REPLACE VIEW cx_by_week AS
SELECT date_trunc('week', day)::date AS week, *
FROM cx_figures
WHERE period = 'day'
  AND day = least(date_trunc('week', day)::date + 6, (now() AT TIME ZONE 'UTC')::date);

CREATE OR REPLACE VIEW cx_personas_by_week AS
SELECT date_trunc('week', day)::date AS week, *
FROM cx_persona_figures
WHERE period = 'day'
  AND day = least(date_trunc('week', day)::date + 6, (now() AT TIME ZONE 'UTC')::date);
