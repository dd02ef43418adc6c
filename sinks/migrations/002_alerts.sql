-- Alert history: one row per alert event (event_id makes a replayed event a no-op).
CREATE TABLE IF NOT EXISTS alerts (
    event_id           text PRIMARY KEY,
    dedup_key          text NOT NULL,
    account_id         text NOT NULL,
    kind               text NOT NULL,
    status             text NOT NULL,
    severity           text NOT NULL,
    score              double precision NOT NULL,
    band               text NOT NULL,
    previous_band      text,
    segment            text,
    csm_owner          text,
    arr                double precision,
    episode_started_at timestamptz NOT NULL,
    at                 timestamptz NOT NULL,
    summary            text NOT NULL,
    drivers            jsonb NOT NULL,
    payload            jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_account_at ON alerts (account_id, at);
CREATE INDEX IF NOT EXISTS alerts_at ON alerts (at);
CREATE INDEX IF NOT EXISTS alerts_dedup_key ON alerts (dedup_key, at);

-- Every delivery attempt, whatever its outcome.
CREATE TABLE IF NOT EXISTS alert_deliveries (
    id          bigserial PRIMARY KEY,
    event_id    text NOT NULL REFERENCES alerts (event_id),
    sink        text NOT NULL,
    attempt     integer NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('delivered', 'retrying', 'failed')),
    http_status integer,
    error       text,
    at          timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_deliveries_event_sink ON alert_deliveries (event_id, sink);
CREATE INDEX IF NOT EXISTS alert_deliveries_at ON alert_deliveries (at);

-- The current state per (event_id, sink): delivered is final; failed ones are re-sent.
CREATE TABLE IF NOT EXISTS alert_delivery_status (
    event_id         text NOT NULL REFERENCES alerts (event_id),
    sink             text NOT NULL,
    outcome          text NOT NULL CHECK (outcome IN ('delivered', 'retrying', 'failed')),
    attempts         integer NOT NULL,
    http_status      integer,
    error            text,
    first_attempt_at timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (event_id, sink)
);
CREATE INDEX IF NOT EXISTS alert_delivery_status_pending
    ON alert_delivery_status (outcome, updated_at) WHERE outcome <> 'delivered';
