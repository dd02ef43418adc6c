-- score_history: one row per evaluation, keyed by what produced it, not by the clock.
-- A worker re-reading input after a crash evaluates it again at a later `at`; the same
-- evaluation_key (models.health.evaluation_key: the state version and a digest of the
-- result) makes that a no-op. `at` stays, for the time series.
-- Safe to run again: every step checks or repeats what it does.
ALTER TABLE score_history ADD COLUMN IF NOT EXISTS state_version bigint;
-- The current row carries it too, so the API answers in one shape from either source.
ALTER TABLE account_health ADD COLUMN IF NOT EXISTS state_version bigint;
ALTER TABLE score_history ADD COLUMN IF NOT EXISTS evaluation_key text;
-- Rows stored before had only their clock: the key a health without a state version gets.
UPDATE score_history
SET evaluation_key = 'at:' || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
WHERE evaluation_key IS NULL;
ALTER TABLE score_history ALTER COLUMN evaluation_key SET NOT NULL;
ALTER TABLE score_history DROP CONSTRAINT IF EXISTS score_history_pkey;
ALTER TABLE score_history ADD CONSTRAINT score_history_pkey
    PRIMARY KEY (account_id, evaluation_key);
-- What the primary key served before: one account's rows in time order.
CREATE INDEX IF NOT EXISTS score_history_account_at ON score_history (account_id, at);
