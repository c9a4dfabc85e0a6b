-- 0009_metrics: counters that survive retention, and the monitoring role, for runlog.metrics().
--
-- Prometheus counters must never go down, but prune() deletes old runs. So the
-- moment a run finishes (its status leaves queued/running) and the moment a
-- scheduled run starts, a trigger adds one to a small counters table in the
-- same transaction. runlog.metrics() (sql/functions/metrics.sql) reads these
-- tables and the live queue; per-organisation detail stays in the SQL views,
-- so no counter has an org_id. Each counter row is split over 8 shards (the
-- backend pid modulo 8), so concurrent finishing transactions rarely wait for
-- one another's counter row.
--
-- runlog_monitor is the monitoring login's role: it may execute
-- runlog.metrics() and runlog.version() and nothing else (column
-- runlog_monitor of the grant table, set in sql/grants.sql).
--
-- Every statement is idempotent: running this file twice with
-- psql -v ON_ERROR_STOP=1 -f leaves the catalog as the first run left it.

-- The retries migration (0008) adds failure_type with its CHECK; this is a
-- no-op there and keeps this migration applicable on its own.
ALTER TABLE runlog.sync_run_log ADD COLUMN IF NOT EXISTS failure_type text;

DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS r WHERE r.rolname = 'runlog_monitor') THEN
        BEGIN
            CREATE ROLE runlog_monitor NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- created meanwhile by another migrator
        END;
    END IF;
END
$roles$;

COMMENT ON ROLE runlog_monitor IS
'pyrunlog monitoring (pyrunlog exporter, postgres_exporter): may execute runlog.metrics(), which returns aggregates without organisation ids, and runlog.version(); nothing else.';

GRANT USAGE ON SCHEMA runlog TO runlog_monitor;
-- runlog.version() reads the ledger: the exporter checks the schema version at start.
GRANT SELECT ON runlog.schema_migrations TO runlog_monitor;

ALTER TABLE runlog.function_grants
ADD COLUMN IF NOT EXISTS runlog_monitor boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN runlog.function_grants.runlog_monitor IS
'The monitoring role may execute it (runlog.metrics() and runlog.version() only).';

-- Runs finished -------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS runlog.run_counters (
    integration_type text NOT NULL,
    status text NOT NULL,
    failure_type text NOT NULL,
    shard smallint NOT NULL CHECK (shard BETWEEN 0 AND 7),
    runs bigint NOT NULL CHECK (runs >= 0),
    PRIMARY KEY (integration_type, status, failure_type, shard)
);

COMMENT ON TABLE runlog.run_counters IS
'Runs finished since the database was created, by integration_type, status and failure_type: a Prometheus counter that prune() does not lower. Written by trigger only.';
COMMENT ON COLUMN runlog.run_counters.status IS
'The status the run ended with: succeeded, partial, failed, cancelled or timed_out.';
COMMENT ON COLUMN runlog.run_counters.failure_type IS
'The run''s failure_type, or none.';
COMMENT ON COLUMN runlog.run_counters.shard IS
'The finishing backend''s pid modulo 8; metrics() sums the shards.';
COMMENT ON COLUMN runlog.run_counters.runs IS 'How many runs.';

-- Scheduled starts: drift histogram and cold starts ----------------------------------------

CREATE TABLE IF NOT EXISTS runlog.start_counters (
    integration_type text NOT NULL,
    shard smallint NOT NULL CHECK (shard BETWEEN 0 AND 7),
    drift_buckets bigint[] NOT NULL,
    drift_sum double precision NOT NULL,
    starts bigint NOT NULL CHECK (starts >= 0),
    cold_starts bigint NOT NULL CHECK (cold_starts >= 0),
    PRIMARY KEY (integration_type, shard)
);

COMMENT ON TABLE runlog.start_counters IS
'Scheduled runs started since the database was created, by integration_type: the start-drift histogram and cold starts. Written by trigger only.';
COMMENT ON COLUMN runlog.start_counters.drift_buckets IS
'Starts per drift bucket (not cumulative): element i counts drifts up to runlog._drift_bounds()[i] and above the bound before; the last element counts the rest.';
COMMENT ON COLUMN runlog.start_counters.drift_sum IS 'Sum of the drifts, seconds.';
COMMENT ON COLUMN runlog.start_counters.starts IS 'Scheduled runs started.';
COMMENT ON COLUMN runlog.start_counters.cold_starts IS
'Scheduled runs started without a successful pre-warm for their slot (view cold_starts).';
COMMENT ON COLUMN runlog.start_counters.shard IS
'The starting backend''s pid modulo 8; metrics() sums the shards.';

-- The trigger functions are repeatable files (sql/functions/_count_finished_run.sql,
-- _count_started_run.sql) that pyrunlog migrate applies right after the
-- numbered migrations. A trigger needs its function to exist, so on first
-- apply this creates stubs that the repeatable files then replace.

DO $stubs$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY['_count_finished_run', '_count_started_run'] LOOP
        IF pg_catalog.to_regprocedure(pg_catalog.format('runlog.%I()', fn)) IS NULL THEN
            EXECUTE pg_catalog.format(
                'CREATE FUNCTION runlog.%I() RETURNS trigger LANGUAGE plpgsql'
                ' AS $stub$BEGIN RETURN NULL; END$stub$',
                fn
            );
        END IF;
    END LOOP;
END
$stubs$;

CREATE OR REPLACE TRIGGER sync_run_log_count_finished
AFTER UPDATE OF status ON runlog.sync_run_log
FOR EACH ROW
WHEN (
    old.status IN ('queued', 'running')
    AND new.status NOT IN ('queued', 'running')
)
EXECUTE FUNCTION runlog._count_finished_run();

COMMENT ON TRIGGER sync_run_log_count_finished ON runlog.sync_run_log IS
'Counts each finished run in runlog.run_counters, in the finishing transaction.';

CREATE OR REPLACE TRIGGER sync_run_log_count_started
AFTER UPDATE OF status ON runlog.sync_run_log
FOR EACH ROW
WHEN (
    old.status = 'queued'
    AND new.status = 'running'
    AND new.triggered_by = 'scheduler'
    AND new.scheduled_for IS NOT null
)
EXECUTE FUNCTION runlog._count_started_run();

COMMENT ON TRIGGER sync_run_log_count_started ON runlog.sync_run_log IS
'Counts each scheduled run a worker claims (queued to running) in runlog.start_counters: drift and cold start.';

CREATE OR REPLACE TRIGGER sync_run_log_count_started_directly
AFTER INSERT ON runlog.sync_run_log
FOR EACH ROW
WHEN (
    new.status = 'running'
    AND new.triggered_by = 'scheduler'
    AND new.scheduled_for IS NOT null
)
EXECUTE FUNCTION runlog._count_started_run();

COMMENT ON TRIGGER sync_run_log_count_started_directly ON runlog.sync_run_log IS
'Counts each scheduled run started without queueing (start_run) in runlog.start_counters.';

INSERT INTO runlog.schema_migrations (version, name)
VALUES (9, 'metrics')
ON CONFLICT (version) DO NOTHING;
