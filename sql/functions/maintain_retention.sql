CREATE OR REPLACE FUNCTION runlog.maintain_retention(worker_id text)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    deleted bigint;
BEGIN
    -- One worker at a time, at most once a day (23 hours, so a worker calling
    -- every 24 hours is not pushed a day late). Settings decide what goes.
    PERFORM FROM runlog.retention_state AS r
    WHERE r.last_pruned_at IS NULL OR r.last_pruned_at < pg_catalog.now() - interval '23 hours'
    FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    deleted := runlog.prune();
    UPDATE runlog.retention_state AS r
    SET last_pruned_at = pg_catalog.now(), last_pruned_by = pg_catalog.left(maintain_retention.worker_id, 200);
    RETURN deleted;
END
$function$;

COMMENT ON FUNCTION runlog.maintain_retention(text) IS
'Daily retention for workers driving the jobs without pg_cron (pyrunlog worker --tick): prune() with the settings'' retention, at most once in 23 hours across all workers. The runs deleted, or NULL when it was not due or another worker is pruning.';
