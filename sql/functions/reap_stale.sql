CREATE OR REPLACE FUNCTION runlog.reap_stale(timeout interval DEFAULT null)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    config runlog.settings;
    limit_age interval;
    reaped integer;
BEGIN
    SELECT s.* INTO STRICT config FROM runlog.settings AS s;
    limit_age := coalesce(reap_stale.timeout, config.heartbeat_timeout);
    IF limit_age < interval '1 second' THEN
        PERFORM runlog._invalid(pg_catalog.format('timeout must be at least 1 second, got %s', limit_age));
    END IF;

    WITH stale AS (
        UPDATE runlog.sync_run_log AS r
        SET
            status = 'timed_out',
            ended_at = greatest(pg_catalog.clock_timestamp(), r.started_at),
            error_message = pg_catalog.format(
                'timed out: no heartbeat since %s (timeout %s); worker %s presumed dead',
                coalesce(r.heartbeat_at, r.started_at), limit_age, coalesce(r.worker_id, '(none)')
            )
        WHERE
            r.status = 'running'
            AND coalesce(r.heartbeat_at, r.started_at) < pg_catalog.now() - limit_age
        RETURNING r.*
    ),

    -- The period of a scheduled run is queued again, up to max_attempts runs.
    retried AS (
        INSERT INTO runlog.sync_run_log AS q (
            org_id, integration_type, status, triggered_by, scheduled_for, idempotency_key
        )
        SELECT s.org_id, s.integration_type, 'queued', s.triggered_by, s.scheduled_for, s.idempotency_key
        FROM stale AS s
        WHERE
            s.idempotency_key IS NOT NULL
            AND (
                SELECT count(*) FROM runlog.sync_run_log AS o
                WHERE
                    o.org_id = s.org_id
                    AND o.integration_type = s.integration_type
                    AND o.idempotency_key = s.idempotency_key
            ) + 1 <= config.max_attempts
        ON CONFLICT DO NOTHING
        RETURNING q.integration_type
    )

    SELECT count(*)::integer INTO reaped FROM stale;
    IF reaped > 0 THEN
        PERFORM pg_catalog.pg_notify('runlog_queued', '{"reaped": true}');
    END IF;
    RETURN reaped;
END
$function$;

COMMENT ON FUNCTION runlog.reap_stale(interval) IS
'Marks running runs without a heartbeat for longer than the timeout (default settings.heartbeat_timeout) timed_out, freeing their integration, and queues their period again (up to settings.max_attempts runs). Returns the number reaped.';
