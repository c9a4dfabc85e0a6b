-- 0001_run_log: the run log and its SQL API.
--
-- Adds schema runlog; the NOLOGIN roles runlog_reader, runlog_worker and
-- runlog_admin; the migrations ledger runlog.schema_migrations; the table
-- runlog.sync_run_log (one row per sync attempt) with its constraints and
-- indexes; row-level security by organisation; and the functions start_run,
-- finish_run, heartbeat, last_runs, run_history, request_sync, claim_next,
-- cancel_run, version and current_org_id.
--
-- Errors (SQLSTATE): 22023 invalid argument, 42501 permission denied,
-- RL001 integration already running, RL002 run not running,
-- RL003 duplicate live idempotency key (period), RL004 run not found,
-- 55P03 lock not available: every SECURITY DEFINER function waits at most
-- 5 seconds for a lock (SET lock_timeout), so a row locked by another session
-- gives a clear error instead of a hung worker.
--
-- Every statement is idempotent: running this file twice with
-- psql -v ON_ERROR_STOP=1 -f leaves the catalog as the first run left it.

CREATE SCHEMA IF NOT EXISTS runlog;

COMMENT ON SCHEMA runlog IS
'pyrunlog: run log and scheduler for data syncs with external systems.';

-- Roles are cluster-wide; concurrent migrations of two databases may race.
DO $roles$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['runlog_reader', 'runlog_worker', 'runlog_admin']
    LOOP
        IF NOT EXISTS (
            SELECT FROM pg_catalog.pg_roles AS r WHERE r.rolname = role_name
        ) THEN
            BEGIN
                EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', role_name);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;  -- created meanwhile by another migrator
            END;
        END IF;
    END LOOP;
    IF NOT pg_catalog.pg_has_role('runlog_admin', 'runlog_worker', 'MEMBER') THEN
        GRANT runlog_worker TO runlog_admin;
    END IF;
END
$roles$;

COMMENT ON ROLE runlog_reader IS
'pyrunlog dashboards: read its own organisation''s runs (request.jwt.claims org_id) and request syncs for it.';
COMMENT ON ROLE runlog_worker IS
'pyrunlog sync workers: claim, start, heartbeat, finish and cancel runs of every organisation.';
COMMENT ON ROLE runlog_admin IS
'pyrunlog administrators: everything runlog_worker may, plus schedules, retention and health settings.';

GRANT USAGE ON SCHEMA runlog TO runlog_reader, runlog_worker, runlog_admin;

-- The ledger of applied migrations ------------------------------------------

CREATE TABLE IF NOT EXISTS runlog.schema_migrations (
    version integer PRIMARY KEY CHECK (version > 0),
    name text NOT NULL,
    checksum text,
    applied_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);

COMMENT ON TABLE runlog.schema_migrations IS
'One row per applied migration file (sql/migrations/NNNN_name.sql).';
COMMENT ON COLUMN runlog.schema_migrations.version IS
'The NNNN of the file name.';
COMMENT ON COLUMN runlog.schema_migrations.checksum IS
'SHA-256 of the file as applied by pyrunlog migrate; NULL when applied by psql (adopted by the next pyrunlog migrate).';

GRANT SELECT ON runlog.schema_migrations TO runlog_reader, runlog_worker, runlog_admin;

-- The run log ---------------------------------------------------------------

CREATE TABLE IF NOT EXISTS runlog.sync_run_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id uuid NOT NULL,
    integration_type text NOT NULL
    CONSTRAINT sync_run_log_integration_type_check
    CHECK (integration_type ~ '^[a-z][a-z0-9_]{0,63}$'),
    status text NOT NULL
    CONSTRAINT sync_run_log_status_check
    CHECK (
        status IN (
            'queued', 'running', 'succeeded', 'partial', 'failed', 'cancelled', 'timed_out'
        )
    ),
    triggered_by text NOT NULL
    CONSTRAINT sync_run_log_triggered_by_check
    CHECK (triggered_by IN ('scheduler', 'manual')),
    scheduled_for timestamptz,
    idempotency_key text
    CONSTRAINT sync_run_log_idempotency_key_check
    CHECK (pg_catalog.char_length(idempotency_key) BETWEEN 1 AND 255),
    queued_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    started_at timestamptz,
    ended_at timestamptz,
    heartbeat_at timestamptz,
    records_processed bigint NOT NULL DEFAULT 0
    CONSTRAINT sync_run_log_records_processed_check CHECK (records_processed >= 0),
    records_failed bigint NOT NULL DEFAULT 0
    CONSTRAINT sync_run_log_records_failed_check CHECK (records_failed >= 0),
    error_message text
    CONSTRAINT sync_run_log_error_message_check
    CHECK (pg_catalog.char_length(error_message) <= 2000),
    worker_id text
    CONSTRAINT sync_run_log_worker_id_check
    CHECK (pg_catalog.char_length(worker_id) BETWEEN 1 AND 200),
    duration_seconds numeric GENERATED ALWAYS AS (
        extract(EPOCH FROM ended_at - started_at)
    ) STORED,
    drift_seconds numeric GENERATED ALWAYS AS (
        extract(EPOCH FROM started_at - scheduled_for)
    ) STORED,
    CONSTRAINT sync_run_log_state_timestamps_check CHECK (
        CASE status
            WHEN 'queued' THEN started_at IS NULL AND ended_at IS NULL
            WHEN 'running' THEN started_at IS NOT NULL AND ended_at IS NULL
            WHEN 'cancelled'
                THEN
                    ended_at IS NOT NULL
                    AND ended_at >= coalesce(started_at, queued_at)
            ELSE
                started_at IS NOT NULL
                AND ended_at IS NOT NULL
                AND ended_at >= started_at
        END
    )
);

COMMENT ON TABLE runlog.sync_run_log IS
'One row per sync attempt. Written only through the runlog functions; readers see their own organisation (RLS).';
COMMENT ON COLUMN runlog.sync_run_log.org_id IS
'The organisation (tenant) the run belongs to.';
COMMENT ON COLUMN runlog.sync_run_log.integration_type IS
'The external system, lower snake case, 1-64 characters (e.g. xledger, dynamics_365).';
COMMENT ON COLUMN runlog.sync_run_log.status IS
'queued, running, succeeded, partial, failed, cancelled or timed_out.';
COMMENT ON COLUMN runlog.sync_run_log.triggered_by IS
'scheduler (enqueued by a schedule) or manual.';
COMMENT ON COLUMN runlog.sync_run_log.scheduled_for IS
'The schedule slot a scheduled run belongs to.';
COMMENT ON COLUMN runlog.sync_run_log.idempotency_key IS
'At most one queued, running, succeeded or partial run per key and organisation: a period cannot export twice, a failed one can be retried.';
COMMENT ON COLUMN runlog.sync_run_log.queued_at IS
'When the run was requested or started.';
COMMENT ON COLUMN runlog.sync_run_log.started_at IS
'When the run started; NULL while queued.';
COMMENT ON COLUMN runlog.sync_run_log.ended_at IS
'When the run ended; NULL while queued or running.';
COMMENT ON COLUMN runlog.sync_run_log.heartbeat_at IS
'Last sign of life of a running run.';
COMMENT ON COLUMN runlog.sync_run_log.records_processed IS
'Records the sync processed.';
COMMENT ON COLUMN runlog.sync_run_log.records_failed IS
'Records the sync failed to process; a run with failures ends partial.';
COMMENT ON COLUMN runlog.sync_run_log.error_message IS
'Why the run failed or was cancelled, at most 2000 characters.';
COMMENT ON COLUMN runlog.sync_run_log.worker_id IS
'The worker that claimed the run.';
COMMENT ON COLUMN runlog.sync_run_log.duration_seconds IS
'ended_at - started_at in seconds (generated).';
COMMENT ON COLUMN runlog.sync_run_log.drift_seconds IS
'started_at - scheduled_for in seconds: how late a scheduled run started (generated).';

CREATE UNIQUE INDEX IF NOT EXISTS sync_run_log_one_running_idx
ON runlog.sync_run_log (org_id, integration_type)
WHERE status = 'running';
COMMENT ON INDEX runlog.sync_run_log_one_running_idx IS
'One running run at a time per integration of an organisation.';

CREATE UNIQUE INDEX IF NOT EXISTS sync_run_log_live_key_idx
ON runlog.sync_run_log (org_id, idempotency_key)
WHERE status IN ('queued', 'running', 'succeeded', 'partial');
COMMENT ON INDEX runlog.sync_run_log_live_key_idx IS
'A period (idempotency key) of an organisation exports once; failed, cancelled and timed-out periods may be retried. Per organisation, so that one tenant cannot probe another''s keys.';

CREATE INDEX IF NOT EXISTS sync_run_log_latest_idx
ON runlog.sync_run_log (org_id, integration_type, started_at DESC NULLS LAST, id DESC);
COMMENT ON INDEX runlog.sync_run_log_latest_idx IS
'Serves last_runs: the latest started run per integration without scanning history.';

CREATE INDEX IF NOT EXISTS sync_run_log_history_idx
ON runlog.sync_run_log (org_id, id DESC);
COMMENT ON INDEX runlog.sync_run_log_history_idx IS
'Serves run_history of an organisation, keyset-paged by id.';

CREATE INDEX IF NOT EXISTS sync_run_log_integration_history_idx
ON runlog.sync_run_log (org_id, integration_type, id DESC);
COMMENT ON INDEX runlog.sync_run_log_integration_history_idx IS
'Serves run_history of one integration, keyset-paged by id.';

CREATE INDEX IF NOT EXISTS sync_run_log_queue_idx
ON runlog.sync_run_log ((coalesce(scheduled_for, queued_at)), id)
WHERE status = 'queued';
COMMENT ON INDEX runlog.sync_run_log_queue_idx IS
'Serves claim_next: queued runs in the order they fall due.';

GRANT SELECT ON runlog.sync_run_log TO runlog_reader, runlog_worker, runlog_admin;

-- Tenancy ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION runlog.current_org_id()
RETURNS uuid
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    claims text := nullif(pg_catalog.current_setting('request.jwt.claims', true), '');
    org text;
BEGIN
    IF claims IS NULL THEN
        RETURN NULL;
    END IF;
    BEGIN
        org := claims::jsonb ->> 'org_id';
        RETURN org::uuid;
    EXCEPTION WHEN invalid_text_representation THEN
        RAISE EXCEPTION 'request.jwt.claims is not valid: org_id must be a uuid in a JSON object'
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('claims: %s', pg_catalog.left(claims, 200));
    END;
END
$function$;

COMMENT ON FUNCTION runlog.current_org_id() IS
'The caller''s organisation: request.jwt.claims ->> org_id (the PostgREST/Supabase claim), or NULL when no claim is set.';

CREATE OR REPLACE FUNCTION runlog._caller_is_operator()
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    -- Inside SECURITY DEFINER functions current_user is the owner; the role
    -- setting still names the role the caller acts as (SET ROLE, PostgREST).
    SELECT pg_catalog.pg_has_role(
        coalesce(
            nullif(pg_catalog.current_setting('role'), 'none'),
            pg_catalog.session_user()::text
        )::name,
        'runlog_worker',
        'MEMBER'
    );
$function$;

COMMENT ON FUNCTION runlog._caller_is_operator() IS
'True when the calling role is a member of runlog_worker (or runlog_admin): it may act for every organisation.';

CREATE OR REPLACE FUNCTION runlog._require_org_access(org_id uuid)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    claimed uuid;
BEGIN
    IF runlog._caller_is_operator() THEN
        RETURN;
    END IF;
    claimed := runlog.current_org_id();
    IF claimed IS NULL OR claimed <> _require_org_access.org_id THEN
        RAISE EXCEPTION 'permission denied for organisation %', _require_org_access.org_id
            USING ERRCODE = '42501',
                  HINT = 'Readers act only for the org_id of their request.jwt.claims.';
    END IF;
END
$function$;

COMMENT ON FUNCTION runlog._require_org_access(uuid) IS
'Raises 42501 unless the caller is an operator or its org_id claim is this organisation.';

-- Validation helpers ----------------------------------------------------------

CREATE OR REPLACE FUNCTION runlog._invalid(message text, hint text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF _invalid.hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = _invalid.message;
    END IF;
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = _invalid.message, HINT = _invalid.hint;
END
$function$;

COMMENT ON FUNCTION runlog._invalid(text, text) IS
'Raises the invalid-argument error (SQLSTATE 22023) with this message.';

CREATE OR REPLACE FUNCTION runlog._quote_value(value text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT CASE
        WHEN value IS NULL THEN 'NULL'
        WHEN pg_catalog.char_length(value) > 80
            THEN pg_catalog.format(
                '%L... (%s characters)',
                pg_catalog.left(value, 80),
                pg_catalog.char_length(value)
            )
        ELSE pg_catalog.quote_literal(value)
    END;
$function$;

COMMENT ON FUNCTION runlog._quote_value(text) IS
'A value quoted for an error message, cut to 80 characters.';

CREATE OR REPLACE FUNCTION runlog._check_run_args(
    org_id uuid,
    integration_type text,
    triggered_by text,
    scheduled_for timestamptz,
    idempotency_key text
)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF _check_run_args.org_id IS NULL THEN
        PERFORM runlog._invalid('org_id must not be NULL');
    END IF;
    IF _check_run_args.integration_type IS NULL
        OR _check_run_args.integration_type !~ '^[a-z][a-z0-9_]{0,63}$' THEN
        PERFORM runlog._invalid(
            pg_catalog.format(
                'invalid integration_type %s',
                runlog._quote_value(_check_run_args.integration_type)
            ),
            'integration_type is lower snake case, 1 to 64 characters, starting with a letter.'
        );
    END IF;
    IF _check_run_args.triggered_by IS NULL
        OR _check_run_args.triggered_by NOT IN ('scheduler', 'manual') THEN
        PERFORM runlog._invalid(
            pg_catalog.format(
                'invalid triggered_by %s',
                runlog._quote_value(_check_run_args.triggered_by)
            ),
            'triggered_by is scheduler or manual.'
        );
    END IF;
    IF NOT pg_catalog.isfinite(_check_run_args.scheduled_for) THEN
        PERFORM runlog._invalid('scheduled_for must be a finite timestamp');
    END IF;
    IF pg_catalog.char_length(_check_run_args.idempotency_key) NOT BETWEEN 1 AND 255 THEN
        PERFORM runlog._invalid(
            pg_catalog.format(
                'invalid idempotency_key %s',
                runlog._quote_value(_check_run_args.idempotency_key)
            ),
            'idempotency_key is 1 to 255 characters, or NULL.'
        );
    END IF;
END
$function$;

COMMENT ON FUNCTION runlog._check_run_args(uuid, text, text, timestamptz, text) IS
'Validates the arguments of start_run and request_sync; raises 22023 naming the bad value.';

CREATE OR REPLACE FUNCTION runlog._check_counts(records_processed bigint, records_failed bigint)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF _check_counts.records_processed < 0 THEN
        PERFORM runlog._invalid(
            pg_catalog.format(
                'records_processed must not be negative, got %s',
                _check_counts.records_processed
            )
        );
    END IF;
    IF _check_counts.records_failed < 0 THEN
        PERFORM runlog._invalid(
            pg_catalog.format(
                'records_failed must not be negative, got %s', _check_counts.records_failed
            )
        );
    END IF;
END
$function$;

COMMENT ON FUNCTION runlog._check_counts(bigint, bigint) IS
'Raises 22023 when a record count is negative; NULL counts pass (they keep the stored value).';

CREATE OR REPLACE FUNCTION runlog._raise_not_running(run_id bigint)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    found_status text;
BEGIN
    SELECT r.status INTO found_status
    FROM runlog.sync_run_log AS r
    WHERE r.id = _raise_not_running.run_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'run % not found', _raise_not_running.run_id
            USING ERRCODE = 'RL004';
    END IF;
    RAISE EXCEPTION 'run % is not running: its status is %', _raise_not_running.run_id, found_status
        USING ERRCODE = 'RL002';
END
$function$;

COMMENT ON FUNCTION runlog._raise_not_running(bigint) IS
'Raises RL004 when the run does not exist, else RL002 naming its status.';

CREATE OR REPLACE FUNCTION runlog._insert_run(
    org_id uuid,
    integration_type text,
    status text,
    triggered_by text,
    scheduled_for timestamptz,
    idempotency_key text
)
RETURNS runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    inserted runlog.sync_run_log;
    other_id bigint;
    other_status text;
BEGIN
    FOR attempt IN 1..3 LOOP
        -- ON CONFLICT DO NOTHING covers both partial unique indexes without a
        -- subtransaction; the conflict is classified afterwards.
        INSERT INTO runlog.sync_run_log AS r (
            org_id, integration_type, status, triggered_by, scheduled_for,
            idempotency_key, started_at, heartbeat_at
        )
        VALUES (
            _insert_run.org_id, _insert_run.integration_type, _insert_run.status,
            _insert_run.triggered_by, _insert_run.scheduled_for, _insert_run.idempotency_key,
            CASE WHEN _insert_run.status = 'running' THEN pg_catalog.now() END,
            CASE WHEN _insert_run.status = 'running' THEN pg_catalog.now() END
        )
        ON CONFLICT DO NOTHING
        RETURNING r.* INTO inserted;
        IF FOUND THEN
            RETURN inserted;
        END IF;

        IF _insert_run.idempotency_key IS NOT NULL THEN
            SELECT r.id, r.status INTO other_id, other_status
            FROM runlog.sync_run_log AS r
            WHERE
                r.org_id = _insert_run.org_id
                AND r.idempotency_key = _insert_run.idempotency_key
                AND r.status IN ('queued', 'running', 'succeeded', 'partial');
            IF FOUND THEN
                RAISE EXCEPTION 'idempotency key % is already used by run % (%)',
                    runlog._quote_value(_insert_run.idempotency_key), other_id, other_status
                    USING ERRCODE = 'RL003',
                          HINT = 'A period runs once; only a failed, cancelled or timed-out period can run again.';
            END IF;
        END IF;
        SELECT r.id INTO other_id
        FROM runlog.sync_run_log AS r
        WHERE
            r.org_id = _insert_run.org_id
            AND r.integration_type = _insert_run.integration_type
            AND r.status = 'running';
        IF FOUND AND _insert_run.status = 'running' THEN
            RAISE EXCEPTION 'integration % of organisation % is already running (run %)',
                _insert_run.integration_type, _insert_run.org_id, other_id
                USING ERRCODE = 'RL001';
        END IF;
        -- The conflicting run ended between our insert and the look-up: retry.
    END LOOP;
    RAISE EXCEPTION 'run for % / % conflicted with runs that kept ending; retry',
        _insert_run.org_id, _insert_run.integration_type
        USING ERRCODE = '40001';
END
$function$;

COMMENT ON FUNCTION runlog._insert_run(uuid, text, text, text, timestamptz, text) IS
'Inserts a queued or running run; raises RL003 when the idempotency key is live, RL001 when the integration is already running.';

-- The write API ---------------------------------------------------------------

CREATE OR REPLACE FUNCTION runlog.start_run(
    org_id uuid,
    integration_type text,
    triggered_by text DEFAULT 'manual',
    scheduled_for timestamptz DEFAULT NULL,
    idempotency_key text DEFAULT NULL
)
RETURNS runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
BEGIN
    PERFORM runlog._check_run_args(
        start_run.org_id, start_run.integration_type, start_run.triggered_by,
        start_run.scheduled_for, start_run.idempotency_key
    );
    RETURN runlog._insert_run(
        start_run.org_id, start_run.integration_type, 'running', start_run.triggered_by,
        start_run.scheduled_for, start_run.idempotency_key
    );
END
$function$;

COMMENT ON FUNCTION runlog.start_run(uuid, text, text, timestamptz, text) IS
'Starts a run now (status running). Raises RL001 when the integration already runs for the organisation, RL003 when the idempotency key is live, 22023 on bad input.';

CREATE OR REPLACE FUNCTION runlog.finish_run(
    run_id bigint,
    status text,
    records_processed bigint DEFAULT NULL,
    records_failed bigint DEFAULT NULL,
    error_message text DEFAULT NULL
)
RETURNS runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    finished runlog.sync_run_log;
BEGIN
    IF finish_run.status IS NULL
        OR finish_run.status NOT IN ('succeeded', 'partial', 'failed', 'cancelled') THEN
        PERFORM runlog._invalid(
            pg_catalog.format(
                'invalid finish status %s', runlog._quote_value(finish_run.status)
            ),
            'A run finishes as succeeded, partial, failed or cancelled.'
        );
    END IF;
    PERFORM runlog._check_counts(finish_run.records_processed, finish_run.records_failed);

    UPDATE runlog.sync_run_log AS r
    SET
        status = finish_run.status,
        ended_at = greatest(pg_catalog.clock_timestamp(), r.started_at),
        records_processed = coalesce(finish_run.records_processed, r.records_processed),
        records_failed = coalesce(finish_run.records_failed, r.records_failed),
        error_message = pg_catalog.left(finish_run.error_message, 2000)
    WHERE r.id = finish_run.run_id AND r.status = 'running'
    RETURNING r.* INTO finished;

    IF NOT FOUND THEN
        PERFORM runlog._raise_not_running(finish_run.run_id);
    END IF;
    RETURN finished;
END
$function$;

COMMENT ON FUNCTION runlog.finish_run(bigint, text, bigint, bigint, text) IS
'Ends a running run as succeeded, partial, failed or cancelled in one atomic UPDATE. NULL counts keep the stored ones; a NULL error_message clears it; errors are cut to 2000 characters. RL002 when the run is not running, RL004 when unknown.';

CREATE OR REPLACE FUNCTION runlog.heartbeat(
    run_id bigint,
    records_processed bigint DEFAULT NULL,
    records_failed bigint DEFAULT NULL
)
RETURNS runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    beaten runlog.sync_run_log;
BEGIN
    PERFORM runlog._check_counts(heartbeat.records_processed, heartbeat.records_failed);

    UPDATE runlog.sync_run_log AS r
    SET
        heartbeat_at = pg_catalog.clock_timestamp(),
        records_processed = coalesce(heartbeat.records_processed, r.records_processed),
        records_failed = coalesce(heartbeat.records_failed, r.records_failed)
    WHERE r.id = heartbeat.run_id AND r.status = 'running'
    RETURNING r.* INTO beaten;

    IF NOT FOUND THEN
        PERFORM runlog._raise_not_running(heartbeat.run_id);
    END IF;
    RETURN beaten;
END
$function$;

COMMENT ON FUNCTION runlog.heartbeat(bigint, bigint, bigint) IS
'Records a sign of life (and optionally progress) of a running run. RL002 when the run is no longer running (e.g. cancelled), RL004 when unknown.';

CREATE OR REPLACE FUNCTION runlog.request_sync(
    org_id uuid,
    integration_type text,
    triggered_by text DEFAULT 'manual',
    scheduled_for timestamptz DEFAULT NULL,
    idempotency_key text DEFAULT NULL
)
RETURNS runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    queued runlog.sync_run_log;
BEGIN
    PERFORM runlog._check_run_args(
        request_sync.org_id, request_sync.integration_type, request_sync.triggered_by,
        request_sync.scheduled_for, request_sync.idempotency_key
    );
    PERFORM runlog._require_org_access(request_sync.org_id);
    queued := runlog._insert_run(
        request_sync.org_id, request_sync.integration_type, 'queued', request_sync.triggered_by,
        request_sync.scheduled_for, request_sync.idempotency_key
    );
    PERFORM pg_catalog.pg_notify(
        'runlog_queued',
        pg_catalog.json_build_object(
            'id', queued.id,
            'org_id', queued.org_id,
            'integration_type', queued.integration_type
        )::text
    );
    RETURN queued;
END
$function$;

COMMENT ON FUNCTION runlog.request_sync(uuid, text, text, timestamptz, text) IS
'Queues a run (status queued) and notifies workers on channel runlog_queued. Readers may request only for their own organisation. RL003 when the idempotency key is live.';

CREATE OR REPLACE FUNCTION runlog.claim_next(
    worker_id text,
    integration_types text[] DEFAULT NULL
)
RETURNS runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
-- Walk the queue index in due order and stop at the first claimable run. With
-- stale statistics (a burst of runs just enqueued) the planner would otherwise
-- sort the whole queue on every claim.
SET enable_sort = off
AS $function$
DECLARE
    candidate runlog.sync_run_log;
    claimed runlog.sync_run_log;
    busy text[] := '{}';
BEGIN
    IF pg_catalog.char_length(claim_next.worker_id) IS NULL
        OR pg_catalog.char_length(claim_next.worker_id) NOT BETWEEN 1 AND 200 THEN
        PERFORM runlog._invalid(
            pg_catalog.format('invalid worker_id %s', runlog._quote_value(claim_next.worker_id)),
            'worker_id is 1 to 200 characters.'
        );
    END IF;
    LOOP
        SELECT q.* INTO candidate
        FROM runlog.sync_run_log AS q
        WHERE
            q.status = 'queued'
            AND coalesce(q.scheduled_for, q.queued_at) <= pg_catalog.now()
            AND (
                claim_next.integration_types IS NULL
                OR q.integration_type = ANY(claim_next.integration_types)
            )
            AND q.org_id::text || '/' || q.integration_type <> ALL(busy)
            AND NOT EXISTS (
                SELECT FROM runlog.sync_run_log AS r
                WHERE
                    r.org_id = q.org_id
                    AND r.integration_type = q.integration_type
                    AND r.status = 'running'
            )
        ORDER BY coalesce(q.scheduled_for, q.queued_at), q.id
        LIMIT 1
        FOR UPDATE OF q SKIP LOCKED;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        BEGIN
            UPDATE runlog.sync_run_log AS r
            SET
                status = 'running',
                started_at = pg_catalog.now(),
                heartbeat_at = pg_catalog.now(),
                worker_id = claim_next.worker_id
            WHERE r.id = candidate.id
            RETURNING r.* INTO claimed;
            RETURN claimed;
        EXCEPTION WHEN unique_violation THEN
            -- Another worker started this integration meanwhile; look further.
            busy := busy || (candidate.org_id::text || '/' || candidate.integration_type);
        END;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION runlog.claim_next(text, text[]) IS
'Claims the oldest due queued run whose integration is idle (optionally only of these integration types) and marks it running for this worker; NULL when there is none. Safe under any number of concurrent workers (SKIP LOCKED).';

CREATE OR REPLACE FUNCTION runlog.cancel_run(run_id bigint, reason text DEFAULT NULL)
RETURNS runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    cancelled runlog.sync_run_log;
    found_status text;
BEGIN
    UPDATE runlog.sync_run_log AS r
    SET
        status = 'cancelled',
        ended_at = greatest(pg_catalog.clock_timestamp(), r.started_at, r.queued_at),
        error_message = pg_catalog.left(cancel_run.reason, 2000)
    WHERE r.id = cancel_run.run_id AND r.status IN ('queued', 'running')
    RETURNING r.* INTO cancelled;
    IF FOUND THEN
        RETURN cancelled;
    END IF;
    SELECT r.status INTO found_status FROM runlog.sync_run_log AS r WHERE r.id = cancel_run.run_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'run % not found', cancel_run.run_id USING ERRCODE = 'RL004';
    END IF;
    RAISE EXCEPTION 'run % cannot be cancelled: its status is %', cancel_run.run_id, found_status
        USING ERRCODE = 'RL002';
END
$function$;

COMMENT ON FUNCTION runlog.cancel_run(bigint, text) IS
'Cancels a queued or running run, storing the reason as its error_message. A running run''s worker sees RL002 at its next heartbeat and stops. RL002 when the run already ended, RL004 when unknown.';

-- The read API ----------------------------------------------------------------

CREATE OR REPLACE FUNCTION runlog._resolve_org(org_id uuid)
RETURNS uuid
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    resolved uuid := coalesce(_resolve_org.org_id, runlog.current_org_id());
BEGIN
    IF resolved IS NULL THEN
        PERFORM runlog._invalid(
            'org_id is required: none was given and no org_id claim is set',
            'Pass org_id, or set request.jwt.claims to {"org_id": "..."}.'
        );
    END IF;
    RETURN resolved;
END
$function$;

COMMENT ON FUNCTION runlog._resolve_org(uuid) IS
'The given organisation, else the caller''s claim; raises 22023 when neither is set.';

CREATE OR REPLACE FUNCTION runlog.last_runs(org_id uuid DEFAULT NULL)
RETURNS SETOF runlog.sync_run_log
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    org uuid := runlog._resolve_org(last_runs.org_id);
BEGIN
    -- A loose index scan: one probe per integration type, however long the history.
    RETURN QUERY
    WITH RECURSIVE integration_types AS (
        (
            SELECT r.integration_type
            FROM runlog.sync_run_log AS r
            WHERE r.org_id = org
            ORDER BY r.integration_type
            LIMIT 1
        )
        UNION ALL
        SELECT (
            SELECT r.integration_type
            FROM runlog.sync_run_log AS r
            WHERE r.org_id = org AND r.integration_type > t.integration_type
            ORDER BY r.integration_type
            LIMIT 1
        )
        FROM integration_types AS t
        WHERE t.integration_type IS NOT NULL
    )

    SELECT latest.*
    FROM integration_types AS t
    CROSS JOIN LATERAL (
        SELECT r.*
        FROM runlog.sync_run_log AS r
        WHERE
            r.org_id = org
            AND r.integration_type = t.integration_type
            AND r.started_at IS NOT NULL
        ORDER BY r.started_at DESC NULLS LAST, r.id DESC
        LIMIT 1
    ) AS latest
    WHERE t.integration_type IS NOT NULL
    ORDER BY latest.integration_type;
END
$function$;

COMMENT ON FUNCTION runlog.last_runs(uuid) IS
'The latest started run per integration_type of the organisation (default: the caller''s claim), ordered by integration_type. Readers see only their own organisation.';

CREATE OR REPLACE FUNCTION runlog.run_history(
    org_id uuid,
    integration_type text DEFAULT NULL,
    max_rows integer DEFAULT 50,
    before_id bigint DEFAULT NULL
)
RETURNS SETOF runlog.sync_run_log
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    org uuid := runlog._resolve_org(run_history.org_id);
    below bigint := coalesce(run_history.before_id, 9223372036854775807);
BEGIN
    IF run_history.max_rows IS NULL OR run_history.max_rows NOT BETWEEN 1 AND 1000 THEN
        PERFORM runlog._invalid(
            pg_catalog.format('max_rows must be between 1 and 1000, got %s', run_history.max_rows)
        );
    END IF;
    IF run_history.integration_type IS NULL THEN
        RETURN QUERY
        SELECT r.*
        FROM runlog.sync_run_log AS r
        WHERE r.org_id = org AND r.id < below
        ORDER BY r.id DESC
        LIMIT run_history.max_rows;
    ELSE
        RETURN QUERY
        SELECT r.*
        FROM runlog.sync_run_log AS r
        WHERE
            r.org_id = org
            AND r.integration_type = run_history.integration_type
            AND r.id < below
        ORDER BY r.id DESC
        LIMIT run_history.max_rows;
    END IF;
END
$function$;

COMMENT ON FUNCTION runlog.run_history(uuid, text, integer, bigint) IS
'Runs of an organisation (default: the caller''s claim), newest first, optionally of one integration; page with before_id = the last id of the previous page. max_rows 1-1000.';

CREATE OR REPLACE FUNCTION runlog.version()
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.lpad(max(m.version)::text, 4, '0')
    FROM runlog.schema_migrations AS m;
$function$;

COMMENT ON FUNCTION runlog.version() IS
'The deployed schema version: the highest applied migration number, e.g. 0001.';

-- Row-level security ----------------------------------------------------------

CREATE OR REPLACE FUNCTION runlog._tenant_policies(
    table_name text, reader_sees text DEFAULT 'org_id = (SELECT runlog.current_org_id())'
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    reader_policy text := _tenant_policies.table_name || '_reader_own_org';
    operator_policy text := _tenant_policies.table_name || '_operator_all';
BEGIN
    EXECUTE pg_catalog.format(
        'ALTER TABLE runlog.%I ENABLE ROW LEVEL SECURITY', _tenant_policies.table_name
    );
    IF NOT EXISTS (
        SELECT FROM pg_catalog.pg_policies AS p
        WHERE p.schemaname = 'runlog' AND p.tablename = _tenant_policies.table_name
            AND p.policyname = reader_policy
    ) THEN
        EXECUTE pg_catalog.format(
            'CREATE POLICY %I ON runlog.%I FOR SELECT TO runlog_reader USING (%s)',
            reader_policy, _tenant_policies.table_name, _tenant_policies.reader_sees
        );
        EXECUTE pg_catalog.format(
            'COMMENT ON POLICY %I ON runlog.%I IS %L', reader_policy, _tenant_policies.table_name,
            'Readers see the rows of the organisation in their request.jwt.claims org_id, nothing else.'
        );
    END IF;
    IF NOT EXISTS (
        SELECT FROM pg_catalog.pg_policies AS p
        WHERE p.schemaname = 'runlog' AND p.tablename = _tenant_policies.table_name
            AND p.policyname = operator_policy
    ) THEN
        EXECUTE pg_catalog.format(
            'CREATE POLICY %I ON runlog.%I FOR SELECT TO runlog_worker, runlog_admin USING (true)',
            operator_policy, _tenant_policies.table_name
        );
        EXECUTE pg_catalog.format(
            'COMMENT ON POLICY %I ON runlog.%I IS %L', operator_policy, _tenant_policies.table_name,
            'Workers and admins see the rows of every organisation.'
        );
    END IF;
END
$function$;

COMMENT ON FUNCTION runlog._tenant_policies(text, text) IS
'Enables row-level security on a runlog tenant table (one with org_id) and creates its two policies, once: readers see the rows reader_sees allows (default: their claim''s organisation), workers and admins see all. Called by migrations only.';

DO $tenancy$
BEGIN
    PERFORM runlog._tenant_policies('sync_run_log');
END
$tenancy$;

-- Privileges ------------------------------------------------------------------

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA runlog FROM public;

GRANT EXECUTE ON FUNCTION
runlog.current_org_id(),
runlog.version(),
runlog.last_runs(uuid),
runlog.run_history(uuid, text, integer, bigint),
runlog.request_sync(uuid, text, text, timestamptz, text),
runlog._resolve_org(uuid),
runlog._invalid(text, text)
TO runlog_reader, runlog_worker, runlog_admin;

GRANT EXECUTE ON FUNCTION
runlog.start_run(uuid, text, text, timestamptz, text),
runlog.finish_run(bigint, text, bigint, bigint, text),
runlog.heartbeat(bigint, bigint, bigint),
runlog.claim_next(text, text[]),
runlog.cancel_run(bigint, text)
TO runlog_worker, runlog_admin;

INSERT INTO runlog.schema_migrations (version, name)
VALUES (1, 'run_log')
ON CONFLICT (version) DO NOTHING;
