CREATE OR REPLACE FUNCTION runlog._count_finished_run()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    INSERT INTO runlog.run_counters AS c (integration_type, status, failure_type, shard, runs)
    VALUES (
        new.integration_type, new.status, coalesce(new.failure_type, 'none'),
        pg_catalog.pg_backend_pid() % 8, 1
    )
    ON CONFLICT (integration_type, status, failure_type, shard)
    DO UPDATE SET runs = c.runs + 1;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION runlog._count_finished_run() IS
'Trigger: adds a finished run to runlog.run_counters (by integration_type, status, failure_type) in the finishing transaction.';
