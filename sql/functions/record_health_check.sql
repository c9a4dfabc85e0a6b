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
    -- The claim's own time, never one the caller chooses: a claimed_at that is
    -- not this claim's counts from now.
    started := CASE
        WHEN record_health_check.claimed_at IS NULL THEN coalesce(before.check_claimed_at, pg_catalog.now())
        WHEN record_health_check.claimed_at = before.check_claimed_at THEN before.check_claimed_at
        ELSE pg_catalog.now()
    END;

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
'Records the outcome of a claimed active check: healthy resets the interval to the minimum; unhealthy counts a failure and doubles it (capped). The next check counts from the claim''s time (claimed_at must be it; any other value counts from now). NOTIFY runlog_alert when the state changes.';
