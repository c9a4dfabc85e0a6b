CREATE OR REPLACE FUNCTION runlog.fail_run(
    run_id bigint,
    failure_type text,
    error_message text DEFAULT NULL,
    retry_after_seconds double precision DEFAULT NULL,
    records_processed bigint DEFAULT NULL,
    records_failed bigint DEFAULT NULL
)
RETURNS SETOF runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
BEGIN
    IF fail_run.failure_type IS NULL
        OR fail_run.failure_type NOT IN (
            'transient_error', 'rate_limited', 'auth_error', 'config_error', 'system_error'
        ) THEN
        PERFORM runlog._invalid(
            pg_catalog.format('invalid failure_type %s', runlog._quote_value(fail_run.failure_type)),
            'A worker fails a run as transient_error, rate_limited, auth_error, config_error or system_error.'
        );
    END IF;
    IF fail_run.retry_after_seconds < 0 OR fail_run.retry_after_seconds = 'NaN'
        OR fail_run.retry_after_seconds > 86400 * 365 THEN
        PERFORM runlog._invalid(
            pg_catalog.format('retry_after_seconds must be between 0 and 31536000, got %s', fail_run.retry_after_seconds),
            'Pass the Retry-After delay in seconds (it is capped by the retry policy), or NULL.'
        );
    END IF;
    -- Only a negative count has a problem to raise: no helper call per failure.
    IF fail_run.records_processed < 0 OR fail_run.records_failed < 0 THEN
        PERFORM runlog._check_counts(fail_run.records_processed, fail_run.records_failed);
    END IF;
    RETURN QUERY
    SELECT * FROM runlog._fail_attempt(
        fail_run.run_id, 'failed', fail_run.failure_type, fail_run.error_message,
        pg_catalog.make_interval(secs => fail_run.retry_after_seconds),
        fail_run.records_processed, fail_run.records_failed
    );
    IF NOT FOUND THEN
        PERFORM runlog._raise_not_running(fail_run.run_id);
    END IF;
END
$function$;

COMMENT ON FUNCTION runlog.fail_run(bigint, text, text, double precision, bigint, bigint) IS
'Ends a running run failed with a failure type (transient_error, rate_limited, auth_error, config_error, system_error) and, in the same transaction, queues its next attempt by the retry policy or records why the period is dead (retry_decision). retry_after_seconds: the server''s Retry-After (rate_limited waits that, capped by max_retry_after, but at least the policy''s initial_delay, and holds the integration). Returns the failed attempt, then the queued retry if any. RL002 when the run is not running, RL004 when unknown.';
