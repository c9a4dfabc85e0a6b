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

    IF finish_run.status = 'failed' THEN
        -- An untyped failure is a system_error; its retry is queued right here.
        SELECT f.* INTO finished
        FROM runlog._fail_attempt(
            finish_run.run_id, 'failed', 'system_error', finish_run.error_message, NULL,
            finish_run.records_processed, finish_run.records_failed
        ) AS f
        LIMIT 1;
        IF NOT FOUND THEN
            PERFORM runlog._raise_not_running(finish_run.run_id);
        END IF;
        RETURN finished;
    END IF;

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
    IF finished.status IN ('succeeded', 'partial') THEN
        PERFORM runlog._period_succeeded(finished.org_id, finished.integration_type);
    END IF;
    RETURN finished;
END
$function$;

COMMENT ON FUNCTION runlog.finish_run(bigint, text, bigint, bigint, text) IS
'Ends a running run as succeeded, partial, failed or cancelled in one transaction. failed is fail_run with failure type system_error: the next attempt is queued by the retry policy at once; succeeded and partial reset the schedule''s auto-pause counters (partial is not retried). NULL counts keep the stored ones; a NULL error_message clears it; errors are cut to 2000 characters. RL002 when the run is not running, RL004 when unknown.';
