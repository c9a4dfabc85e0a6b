-- 0010_retry_metrics: counters and indexes for the retry metrics of runlog.metrics().
--
-- Retries (0008) decide, when an attempt ends unsuccessfully, to queue the next
-- attempt or that the period is dead (sync_run_log.retry_decision). Prometheus
-- counters must survive prune(), so a trigger counts each decision in
-- runlog.retry_counters in the deciding transaction, like run_counters (0009):
-- retries scheduled by integration_type and the failed attempt's failure_type,
-- periods gone dead by integration_type and reason (exhausted, not_retryable,
-- window_closed). The counters start at 0 when this migration runs: decisions
-- taken before it are not counted (the gauge of dead periods reads the log and
-- does see them).
--
-- Two partial indexes keep runlog.metrics() off a scan of the log: the attempts
-- that ended a period (a dead retry_decision), and the attempts that follow
-- another (retry_of), which tell whether a dead attempt was re-queued since.
-- An index on integration_holds.held_until serves the active-holds gauge.
--
-- Every statement is idempotent: running this file twice with
-- psql -v ON_ERROR_STOP=1 -f leaves the catalog as the first run left it.

CREATE TABLE IF NOT EXISTS runlog.retry_counters (
    integration_type text NOT NULL,
    decision text NOT NULL
    CONSTRAINT retry_counters_decision_check
    CHECK (decision IN ('retry', 'exhausted', 'not_retryable', 'window_closed')),
    failure_type text NOT NULL,
    shard smallint NOT NULL CHECK (shard BETWEEN 0 AND 7),
    attempts bigint NOT NULL CHECK (attempts >= 0),
    PRIMARY KEY (integration_type, decision, failure_type, shard)
);

COMMENT ON TABLE runlog.retry_counters IS
'Retry decisions since migration 0010 (counters start at 0 then), by integration_type, decision and failure_type: retries scheduled (decision retry) and periods gone dead (the other decisions). A Prometheus counter that prune() does not lower. Written by trigger only.';
COMMENT ON COLUMN runlog.retry_counters.integration_type IS 'The integration type of the attempt.';
COMMENT ON COLUMN runlog.retry_counters.decision IS
'The attempt''s retry_decision: retry, or why its period died (exhausted, not_retryable, window_closed); no_period is not counted.';
COMMENT ON COLUMN runlog.retry_counters.failure_type IS
'The deciding attempt''s failure_type, or none (a superseded queued retry).';
COMMENT ON COLUMN runlog.retry_counters.shard IS
'The deciding backend''s pid modulo 8; metrics() sums the shards.';
COMMENT ON COLUMN runlog.retry_counters.attempts IS 'How many attempts were so decided.';

-- The trigger function is a repeatable file (sql/functions/_count_retry_decision.sql)
-- applied after the numbered migrations; on first apply a stub stands in.
DO $stub$
BEGIN
    IF pg_catalog.to_regprocedure('runlog._count_retry_decision()') IS NULL THEN
        CREATE FUNCTION runlog._count_retry_decision() RETURNS trigger LANGUAGE plpgsql
        AS $body$BEGIN RETURN NULL; END$body$;
    END IF;
END
$stub$;

CREATE OR REPLACE TRIGGER sync_run_log_count_retry_decision
AFTER UPDATE OF retry_decision ON runlog.sync_run_log
FOR EACH ROW
WHEN (
    old.retry_decision IS NULL
    AND new.retry_decision IN ('retry', 'exhausted', 'not_retryable', 'window_closed')
)
EXECUTE FUNCTION runlog._count_retry_decision();

COMMENT ON TRIGGER sync_run_log_count_retry_decision ON runlog.sync_run_log IS
'Counts each retry decision (retry scheduled, period dead) in runlog.retry_counters, in the deciding transaction.';

-- (integration_type, id): an index-only scan, no visit to the scattered heap rows.
CREATE INDEX IF NOT EXISTS sync_run_log_dead_idx
ON runlog.sync_run_log (integration_type, id)
WHERE retry_decision IN ('exhausted', 'not_retryable', 'window_closed');
COMMENT ON INDEX runlog.sync_run_log_dead_idx IS
'Serves metrics() by an index-only scan: attempts that ended their period (dead unless re-queued since).';

CREATE INDEX IF NOT EXISTS sync_run_log_retry_of_idx
ON runlog.sync_run_log (retry_of)
WHERE retry_of IS NOT NULL;
COMMENT ON INDEX runlog.sync_run_log_retry_of_idx IS
'Serves metrics(): whether an attempt has a next attempt (a dead period re-queued by retry_period).';

CREATE INDEX IF NOT EXISTS integration_holds_held_until_idx
ON runlog.integration_holds (held_until);
COMMENT ON INDEX runlog.integration_holds_held_until_idx IS
'Serves metrics(): rate-limit holds still active.';

INSERT INTO runlog.schema_migrations (version, name)
VALUES (10, 'retry_metrics')
ON CONFLICT (version) DO NOTHING;
