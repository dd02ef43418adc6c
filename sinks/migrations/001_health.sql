-- Current health per account, and the score history the dashboards chart.
CREATE TABLE IF NOT EXISTS account_health (
    account_id       text PRIMARY KEY,
    name             text,
    segment          text,
    region           text,
    line_of_business text,
    csm_owner        text,
    lifecycle_stage  text,
    arr              double precision,
    renewal_date     date,
    score            double precision NOT NULL,
    band             text NOT NULL,
    confidence       double precision NOT NULL,
    components       jsonb NOT NULL,
    drivers          jsonb NOT NULL,
    model_version    text NOT NULL,
    updated_at       timestamptz NOT NULL,
    last_event_at    timestamptz
);
CREATE INDEX IF NOT EXISTS account_health_band_score ON account_health (band, score);
CREATE INDEX IF NOT EXISTS account_health_segment ON account_health (segment);
CREATE INDEX IF NOT EXISTS account_health_owner ON account_health (csm_owner);

-- One row per published change; (account_id, at) makes a replayed change a no-op.
CREATE TABLE IF NOT EXISTS score_history (
    account_id    text NOT NULL,
    at            timestamptz NOT NULL,
    score         double precision NOT NULL,
    band          text NOT NULL,
    confidence    double precision NOT NULL,
    components    jsonb NOT NULL,
    drivers       jsonb NOT NULL,
    model_version text NOT NULL,
    PRIMARY KEY (account_id, at)
);
CREATE INDEX IF NOT EXISTS score_history_at ON score_history (at);
