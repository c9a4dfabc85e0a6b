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
    stale runlog.sync_run_log;
    reaped integer := 0;
    ended runlog.sync_run_log;
BEGIN
    SELECT s.* INTO STRICT config FROM runlog.settings AS s;
    limit_age := coalesce(reap_stale.timeout, config.heartbeat_timeout);
    IF limit_age < interval '1 second' THEN
        PERFORM runlog._invalid(pg_catalog.format('timeout must be at least 1 second, got %s', limit_age));
    END IF;

    FOR stale IN
        SELECT r.*
        FROM runlog.sync_run_log AS r
        WHERE
            r.status = 'running'
            AND coalesce(r.heartbeat_at, r.started_at) < pg_catalog.now() - limit_age
        ORDER BY r.id
        FOR UPDATE SKIP LOCKED
    LOOP
        -- The same retry policy as any failure (failure type heartbeat_timeout).
        -- Ending a run may wait for its schedule (a dead period is counted
        -- there), which an open transaction can hold: past lock_timeout that
        -- run waits for the next reap, the others are reaped now.
        BEGIN
            FOR ended IN
                SELECT * FROM runlog._fail_attempt(
                    stale.id, 'timed_out', 'heartbeat_timeout',
                    pg_catalog.format(
                        'timed out: no heartbeat since %s (timeout %s); worker %s presumed dead',
                        coalesce(stale.heartbeat_at, stale.started_at), limit_age,
                        coalesce(stale.worker_id, '(none)')
                    ),
                    NULL, NULL, NULL
                )
            LOOP
                IF ended.status = 'timed_out' THEN
                    reaped := reaped + 1;
                END IF;
            END LOOP;
        EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
            RAISE WARNING 'reap_stale: run % waits for its schedule, which another transaction holds; it is reaped next time',
                stale.id;
        END;
    END LOOP;

    IF reaped > 0 THEN
        PERFORM pg_catalog.pg_notify('runlog_queued', '{"reaped": true}');
    END IF;
    RETURN reaped;
END
$function$;

COMMENT ON FUNCTION runlog.reap_stale(interval) IS
'Marks running runs without a heartbeat for longer than the timeout (default settings.heartbeat_timeout) timed_out with failure type heartbeat_timeout, freeing their integration, and decides their retry by the retry policy like any failure. Returns the number reaped.';
