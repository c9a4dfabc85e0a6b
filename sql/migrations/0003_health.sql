-- 0003_health: health of the external APIs, without burning their rate limits.
--
-- Adds runlog.integration_health (one row per organisation and integration:
-- state, consecutive failures, next check, last error and latency, and whether
-- the state came from an active check or a sync outcome); runlog.health_modes
-- (active, passive or disabled per integration type, with per-organisation
-- overrides) and set_health_mode(); claim_health_checks() and
-- record_health_check(), which let workers ping an API at most once per
-- interval however many of them run, backing off 15, 30, 60 ... minutes after
-- failures; a trigger that turns scheduled runs' outcomes into passive health;
-- health_overview() for dashboards; and NOTIFY runlog_alert on every change of
-- health.
--
-- Idempotent like 0001: running it twice leaves the catalog unchanged.

-- Settings ----------------------------------------------------------------------

ALTER TABLE runlog.settings
ADD COLUMN IF NOT EXISTS health_min_interval interval NOT NULL DEFAULT '15 minutes'
CONSTRAINT settings_health_min_interval_check CHECK (health_min_interval >= interval '15 minutes');

ALTER TABLE runlog.settings
ADD COLUMN IF NOT EXISTS health_max_interval interval NOT NULL DEFAULT '6 hours'
CONSTRAINT settings_health_max_interval_check CHECK (health_max_interval <= interval '7 days');

DO $constraints$
BEGIN
    IF NOT EXISTS (
        SELECT FROM pg_catalog.pg_constraint AS c
        WHERE c.conname = 'settings_health_interval_order_check'
            AND c.conrelid = 'runlog.settings'::regclass
    ) THEN
        ALTER TABLE runlog.settings
        ADD CONSTRAINT settings_health_interval_order_check
        CHECK (health_max_interval >= health_min_interval);
    END IF;
END
$constraints$;

COMMENT ON COLUMN runlog.settings.health_min_interval IS
'Active health checks of one integration of one organisation happen at most this often; at least 15 minutes.';
COMMENT ON COLUMN runlog.settings.health_max_interval IS
'The cap of the health-check backoff (15, 30, 60 ... minutes after consecutive failures); default 6 hours.';

GRANT UPDATE (health_min_interval, health_max_interval) ON runlog.settings TO runlog_admin;

-- Modes ---------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS runlog.health_modes (
    integration_type text NOT NULL
    CONSTRAINT health_modes_integration_type_check
    CHECK (integration_type ~ '^[a-z][a-z0-9_]{0,63}$'),
    org_id uuid,
    mode text NOT NULL CONSTRAINT health_modes_mode_check CHECK (mode IN ('active', 'passive', 'disabled')),
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT health_modes_key UNIQUE NULLS NOT DISTINCT (integration_type, org_id)
);

COMMENT ON TABLE runlog.health_modes IS
'How the health of an integration type is watched: active (pings plus sync outcomes), passive (sync outcomes only, no requests) or disabled. A row with org_id NULL holds for all organisations; a row with an org_id overrides it. Without rows: active.';
COMMENT ON COLUMN runlog.health_modes.org_id IS 'NULL: the mode of the integration type for all organisations.';
COMMENT ON COLUMN runlog.health_modes.mode IS 'active, passive or disabled.';

GRANT SELECT ON runlog.health_modes TO runlog_reader, runlog_worker, runlog_admin;

CREATE OR REPLACE FUNCTION runlog.health_mode_of(org_id uuid, integration_type text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT coalesce(
        (SELECT m.mode FROM runlog.health_modes AS m
         WHERE m.integration_type = health_mode_of.integration_type AND m.org_id = health_mode_of.org_id),
        (SELECT m.mode FROM runlog.health_modes AS m
         WHERE m.integration_type = health_mode_of.integration_type AND m.org_id IS NULL),
        'active'
    );
$function$;

COMMENT ON FUNCTION runlog.health_mode_of(uuid, text) IS
'The effective health mode of an integration of an organisation: its override, else the integration type''s mode, else active.';

CREATE OR REPLACE FUNCTION runlog.set_health_mode(
    integration_type text, mode text, org_id uuid DEFAULT NULL
)
RETURNS runlog.health_modes
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    saved runlog.health_modes;
BEGIN
    PERFORM runlog._check_run_args(
        coalesce(set_health_mode.org_id, '00000000-0000-0000-0000-000000000000'::uuid),
        set_health_mode.integration_type, 'manual', NULL, NULL
    );
    IF set_health_mode.mode IS NULL OR set_health_mode.mode NOT IN ('active', 'passive', 'disabled') THEN
        PERFORM runlog._invalid(
            pg_catalog.format('invalid health mode %s', runlog._quote_value(set_health_mode.mode)),
            'The mode is active, passive or disabled.'
        );
    END IF;
    INSERT INTO runlog.health_modes AS m (integration_type, org_id, mode)
    VALUES (set_health_mode.integration_type, set_health_mode.org_id, set_health_mode.mode)
    ON CONFLICT ON CONSTRAINT health_modes_key DO UPDATE
        SET mode = excluded.mode, updated_at = pg_catalog.now()
    RETURNING m.* INTO saved;
    RETURN saved;
END
$function$;

COMMENT ON FUNCTION runlog.set_health_mode(text, text, uuid) IS
'Sets the health mode of an integration type (org_id NULL: for all organisations) or of one organisation''s integration. Takes effect at once: checks already due are not claimed any more.';

-- Health ----------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS runlog.integration_health (
    org_id uuid NOT NULL,
    integration_type text NOT NULL
    CONSTRAINT integration_health_integration_type_check
    CHECK (integration_type ~ '^[a-z][a-z0-9_]{0,63}$'),
    state text NOT NULL DEFAULT 'unknown'
    CONSTRAINT integration_health_state_check CHECK (state IN ('unknown', 'healthy', 'unhealthy')),
    consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    last_check_at timestamptz,
    next_check_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    last_error text CHECK (pg_catalog.char_length(last_error) <= 2000),
    last_latency_ms integer CHECK (last_latency_ms >= 0),
    based_on text CONSTRAINT integration_health_based_on_check CHECK (based_on IN ('active_check', 'sync_outcome')),
    checking_by text,
    check_claimed_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (org_id, integration_type)
);

COMMENT ON TABLE runlog.integration_health IS
'Health of each integration of each organisation, from active checks (claim_health_checks/record_health_check) and scheduled sync outcomes.';
COMMENT ON COLUMN runlog.integration_health.state IS 'unknown, healthy or unhealthy.';
COMMENT ON COLUMN runlog.integration_health.consecutive_failures IS
'Active checks failed in a row; drives the backoff (15, 30, 60 ... minutes).';
COMMENT ON COLUMN runlog.integration_health.last_check_at IS 'When the last active check started.';
COMMENT ON COLUMN runlog.integration_health.next_check_at IS
'No active check before this time. Set when a check is claimed, so two workers never check in one window.';
COMMENT ON COLUMN runlog.integration_health.last_error IS 'The last failure, at most 2000 characters.';
COMMENT ON COLUMN runlog.integration_health.last_latency_ms IS 'How long the last active check took.';
COMMENT ON COLUMN runlog.integration_health.based_on IS
'What the state was last based on: active_check or sync_outcome.';
COMMENT ON COLUMN runlog.integration_health.checking_by IS 'The worker that claimed the last check.';
COMMENT ON COLUMN runlog.integration_health.check_claimed_at IS 'When the last check was claimed.';

CREATE INDEX IF NOT EXISTS integration_health_due_idx
ON runlog.integration_health (next_check_at);
COMMENT ON INDEX runlog.integration_health_due_idx IS 'Serves claim_health_checks: checks by due time.';

GRANT SELECT ON runlog.integration_health TO runlog_reader, runlog_worker, runlog_admin;

-- Every scheduled integration is watched from the start.
CREATE OR REPLACE FUNCTION runlog._watch_scheduled_integration()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    INSERT INTO runlog.integration_health (org_id, integration_type)
    VALUES (new.org_id, new.integration_type)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION runlog._watch_scheduled_integration() IS
'Trigger: a new schedule gets a health row (state unknown, first check due now).';

CREATE OR REPLACE TRIGGER sync_schedule_watch_health
AFTER INSERT ON runlog.sync_schedule
FOR EACH ROW EXECUTE FUNCTION runlog._watch_scheduled_integration();

COMMENT ON TRIGGER sync_schedule_watch_health ON runlog.sync_schedule IS
'Creates the health row of a newly scheduled integration.';

INSERT INTO runlog.integration_health (org_id, integration_type)
SELECT
    s.org_id,
    s.integration_type
FROM runlog.sync_schedule AS s
ON CONFLICT DO NOTHING;

CREATE OR REPLACE FUNCTION runlog._health_interval(failures integer, config runlog.settings)
RETURNS interval
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    -- 15, 15, 30, 60, ... minutes for 0, 1, 2, 3 ... consecutive failures, capped
    SELECT least(
        (config).health_min_interval * pg_catalog.power(2, greatest(failures - 1, 0))::integer,
        (config).health_max_interval
    );
$function$;

COMMENT ON FUNCTION runlog._health_interval(integer, runlog.settings) IS
'The wait before the next active check after this many consecutive failures: min, min, 2 min, 4 min ... capped at the maximum.';

CREATE OR REPLACE FUNCTION runlog._notify_health(
    org_id uuid, integration_type text, old_state text, new_state text, based_on text, error text
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF old_state IS DISTINCT FROM new_state THEN
        PERFORM pg_catalog.pg_notify(
            'runlog_alert',
            pg_catalog.json_build_object(
                'kind', 'health', 'org_id', org_id, 'integration_type', integration_type,
                'from', old_state, 'to', new_state, 'based_on', based_on,
                'error', pg_catalog.left(error, 200)
            )::text
        );
    END IF;
END
$function$;

COMMENT ON FUNCTION runlog._notify_health(uuid, text, text, text, text, text) IS
'NOTIFY runlog_alert when the health of an integration changes.';

CREATE OR REPLACE FUNCTION runlog.claim_health_checks(
    worker_id text,
    integration_types text[],
    at timestamptz DEFAULT pg_catalog.now(),
    max_checks integer DEFAULT 10
)
RETURNS TABLE (org_id uuid, integration_type text, claimed_at timestamptz)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    config runlog.settings;
BEGIN
    IF claim_health_checks.max_checks IS NULL OR claim_health_checks.max_checks NOT BETWEEN 1 AND 1000 THEN
        PERFORM runlog._invalid(
            pg_catalog.format('max_checks must be between 1 and 1000, got %s', claim_health_checks.max_checks)
        );
    END IF;
    SELECT s.* INTO STRICT config FROM runlog.settings AS s;
    -- Claiming moves next_check_at on by the current interval: however many
    -- workers ask, and even if this one dies, nobody checks again in this window.
    RETURN QUERY
    WITH due AS (
        SELECT h.org_id, h.integration_type
        FROM runlog.integration_health AS h
        WHERE
            h.next_check_at <= claim_health_checks.at
            AND h.integration_type = ANY(claim_health_checks.integration_types)
            AND runlog.health_mode_of(h.org_id, h.integration_type) = 'active'
        ORDER BY h.next_check_at
        LIMIT claim_health_checks.max_checks
        FOR UPDATE SKIP LOCKED
    )

    UPDATE runlog.integration_health AS h
    SET
        next_check_at = claim_health_checks.at + runlog._health_interval(h.consecutive_failures, config),
        checking_by = pg_catalog.left(claim_health_checks.worker_id, 200),
        check_claimed_at = claim_health_checks.at,
        last_check_at = claim_health_checks.at
    FROM due AS d
    WHERE h.org_id = d.org_id AND h.integration_type = d.integration_type
    RETURNING h.org_id, h.integration_type, h.check_claimed_at;
END
$function$;

COMMENT ON FUNCTION runlog.claim_health_checks(text, text[], timestamptz, integer) IS
'Claims due active health checks of these integration types (mode active only) for one worker; each integration of each organisation at most once per interval (min 15 minutes, doubling after failures).';

CREATE OR REPLACE FUNCTION runlog.record_health_check(
    org_id uuid,
    integration_type text,
    ok boolean,
    latency_ms integer DEFAULT NULL,
    error_message text DEFAULT NULL,
    claimed_at timestamptz DEFAULT NULL
)
RETURNS runlog.integration_health
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    config runlog.settings;
    before runlog.integration_health;
    after runlog.integration_health;
    started timestamptz;
BEGIN
    IF record_health_check.ok IS NULL THEN
        PERFORM runlog._invalid('ok must not be NULL');
    END IF;
    IF record_health_check.latency_ms < 0 THEN
        PERFORM runlog._invalid(
            pg_catalog.format('latency_ms must not be negative, got %s', record_health_check.latency_ms)
        );
    END IF;
    SELECT s.* INTO STRICT config FROM runlog.settings AS s;
    SELECT h.* INTO before
    FROM runlog.integration_health AS h
    WHERE h.org_id = record_health_check.org_id AND h.integration_type = record_health_check.integration_type
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no health row for % of organisation %',
            runlog._quote_value(record_health_check.integration_type), record_health_check.org_id
            USING ERRCODE = 'RL004', HINT = 'Record the outcome of a check claimed with claim_health_checks.';
    END IF;
    started := coalesce(record_health_check.claimed_at, before.check_claimed_at, pg_catalog.now());

    UPDATE runlog.integration_health AS h
    SET
        state = CASE WHEN record_health_check.ok THEN 'healthy' ELSE 'unhealthy' END,
        consecutive_failures = CASE WHEN record_health_check.ok THEN 0 ELSE h.consecutive_failures + 1 END,
        next_check_at = started + runlog._health_interval(
            CASE WHEN record_health_check.ok THEN 0 ELSE h.consecutive_failures + 1 END, config
        ),
        last_error = CASE
            WHEN record_health_check.ok THEN h.last_error
            ELSE pg_catalog.left(coalesce(record_health_check.error_message, 'health check failed'), 2000)
        END,
        last_latency_ms = record_health_check.latency_ms,
        based_on = 'active_check',
        updated_at = pg_catalog.now()
    WHERE h.org_id = record_health_check.org_id AND h.integration_type = record_health_check.integration_type
    RETURNING h.* INTO after;

    PERFORM runlog._notify_health(
        after.org_id, after.integration_type, before.state, after.state, 'active_check', after.last_error
    );
    RETURN after;
END
$function$;

COMMENT ON FUNCTION runlog.record_health_check(uuid, text, boolean, integer, text, timestamptz) IS
'Records the outcome of a claimed active check: healthy resets the interval to the minimum; unhealthy counts a failure and doubles it (capped). NOTIFY runlog_alert when the state changes.';

-- Passive health from sync outcomes ------------------------------------------------------

CREATE OR REPLACE FUNCTION runlog._health_from_outcome()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    old_state text;
    new_state text := CASE WHEN new.status IN ('succeeded', 'partial') THEN 'healthy' ELSE 'unhealthy' END;
BEGIN
    IF runlog.health_mode_of(new.org_id, new.integration_type) = 'disabled' THEN
        RETURN NULL;
    END IF;
    SELECT h.state INTO old_state
    FROM runlog.integration_health AS h
    WHERE h.org_id = new.org_id AND h.integration_type = new.integration_type
    FOR UPDATE;
    INSERT INTO runlog.integration_health AS h (
        org_id, integration_type, state, based_on, last_error, updated_at
    )
    VALUES (
        new.org_id, new.integration_type, new_state, 'sync_outcome',
        CASE WHEN new_state = 'unhealthy' THEN new.error_message END, pg_catalog.now()
    )
    ON CONFLICT (org_id, integration_type) DO UPDATE
        SET
            state = excluded.state,
            based_on = 'sync_outcome',
            last_error = coalesce(excluded.last_error, h.last_error),
            updated_at = pg_catalog.now();
    PERFORM runlog._notify_health(
        new.org_id, new.integration_type, old_state, new_state, 'sync_outcome', new.error_message
    );
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION runlog._health_from_outcome() IS
'Trigger: a scheduled run that ends failed or timed_out makes its integration unhealthy; succeeded or partial makes it healthy (unless health is disabled for it).';

CREATE OR REPLACE TRIGGER sync_run_log_passive_health
AFTER UPDATE OF status ON runlog.sync_run_log
FOR EACH ROW
WHEN (
    old.status = 'running'
    AND new.triggered_by = 'scheduler'
    AND new.status IN ('succeeded', 'partial', 'failed', 'timed_out')
)
EXECUTE FUNCTION runlog._health_from_outcome();

COMMENT ON TRIGGER sync_run_log_passive_health ON runlog.sync_run_log IS
'Passive health: the outcome of each scheduled run updates runlog.integration_health.';

-- Dashboards ---------------------------------------------------------------------------

DO $types$
BEGIN
    IF pg_catalog.to_regtype('runlog.health_row') IS NULL THEN
        CREATE TYPE runlog.health_row AS (
            org_id uuid,
            integration_type text,
            state text,
            mode text,
            consecutive_failures integer,
            based_on text,
            last_check_at timestamptz,
            next_check_at timestamptz,
            last_error text,
            last_run_status text,
            last_run_started_at timestamptz
        );
    END IF;
END
$types$;

COMMENT ON TYPE runlog.health_row IS 'A row of health_overview: the health of one integration of an organisation.';

CREATE OR REPLACE FUNCTION runlog.health_overview(org_id uuid DEFAULT NULL)
RETURNS SETOF runlog.health_row
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    org uuid := runlog._resolve_org(health_overview.org_id);
BEGIN
    RETURN QUERY
    WITH last AS (
        SELECT l.integration_type, l.status, l.started_at FROM runlog.last_runs(org) AS l
    ),

    kinds AS (
        SELECT h.integration_type FROM runlog.integration_health AS h WHERE h.org_id = org
        UNION
        SELECT l.integration_type FROM last AS l
    )

    SELECT
        org,
        k.integration_type,
        coalesce(h.state, 'unknown'),
        runlog.health_mode_of(org, k.integration_type),
        coalesce(h.consecutive_failures, 0),
        h.based_on,
        h.last_check_at,
        CASE WHEN runlog.health_mode_of(org, k.integration_type) = 'active' THEN h.next_check_at END,
        h.last_error,
        l.status,
        l.started_at
    FROM kinds AS k
    LEFT JOIN runlog.integration_health AS h ON h.org_id = org AND h.integration_type = k.integration_type
    LEFT JOIN last AS l ON l.integration_type = k.integration_type
    ORDER BY k.integration_type;
END
$function$;

COMMENT ON FUNCTION runlog.health_overview(uuid) IS
'For dashboards: per integration of the organisation (default: the caller''s claim) its health, mode, next check and last run. Readers see their own organisation only.';

-- Row-level security and privileges ---------------------------------------------------

DO $policies$
BEGIN
    PERFORM runlog._tenant_policies('integration_health');
    -- Modes with org_id NULL hold for every organisation, so readers see them too.
    PERFORM runlog._tenant_policies(
        'health_modes', 'org_id IS NULL OR org_id = (SELECT runlog.current_org_id())'
    );
END
$policies$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA runlog FROM public;

GRANT EXECUTE ON FUNCTION
runlog.health_overview(uuid),
runlog.health_mode_of(uuid, text)
TO runlog_reader, runlog_worker, runlog_admin;

GRANT EXECUTE ON FUNCTION
runlog.claim_health_checks(text, text[], timestamptz, integer),
runlog.record_health_check(uuid, text, boolean, integer, text, timestamptz)
TO runlog_worker, runlog_admin;

GRANT EXECUTE ON FUNCTION runlog.set_health_mode(text, text, uuid) TO runlog_admin;

INSERT INTO runlog.schema_migrations (version, name)
VALUES (3, 'health')
ON CONFLICT (version) DO NOTHING;
