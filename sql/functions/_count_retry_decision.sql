CREATE OR REPLACE FUNCTION runlog._count_retry_decision()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    INSERT INTO runlog.retry_counters AS c (integration_type, decision, failure_type, shard, attempts)
    VALUES (
        new.integration_type, new.retry_decision, coalesce(new.failure_type, 'none'),
        pg_catalog.pg_backend_pid() % 8, 1
    )
    ON CONFLICT (integration_type, decision, failure_type, shard)
    DO UPDATE SET attempts = c.attempts + 1;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION runlog._count_retry_decision() IS
'Trigger: adds a retry decision (retry, exhausted, not_retryable, window_closed) to runlog.retry_counters by integration_type, decision and failure_type, in the deciding transaction.';
