CREATE OR REPLACE FUNCTION runlog.finish_and_claim(
    run_id bigint,
    status text,
    records_processed bigint,
    records_failed bigint,
    error_message text,
    worker_id text,
    integration_types text[] DEFAULT null
)
RETURNS SETOF runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
BEGIN
    -- One transaction: when the finish fails, nothing is claimed either.
    PERFORM runlog.finish_run(
        finish_and_claim.run_id, finish_and_claim.status, finish_and_claim.records_processed,
        finish_and_claim.records_failed, finish_and_claim.error_message
    );
    RETURN QUERY
    SELECT * FROM runlog.claim_runs(finish_and_claim.worker_id, finish_and_claim.integration_types, 1);
END
$function$;

COMMENT ON FUNCTION runlog.finish_and_claim(bigint, text, bigint, bigint, text, text, text[]) IS
'finish_run, then claim_next for the same worker, atomically in one call: a worker''s thread finishes a run and takes the next in one roundtrip.';
