CREATE OR REPLACE FUNCTION runlog.claim_runs(
    worker_id text, integration_types text[] DEFAULT null, max_runs integer DEFAULT 1
)
RETURNS SETOF runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    claimed runlog.sync_run_log;
BEGIN
    IF claim_runs.max_runs IS NULL OR claim_runs.max_runs NOT BETWEEN 1 AND 1000 THEN
        PERFORM runlog._invalid(
            pg_catalog.format('max_runs must be between 1 and 1000, got %s', claim_runs.max_runs)
        );
    END IF;
    FOR i IN 1..claim_runs.max_runs LOOP
        claimed := runlog.claim_next(claim_runs.worker_id, claim_runs.integration_types);
        EXIT WHEN claimed.id IS NULL;
        RETURN NEXT claimed;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION runlog.claim_runs(text, text[], integer) IS
'Claims up to max_runs runs as claim_next would, in one call (a worker fills all its free slots in one roundtrip).';
