CREATE OR REPLACE FUNCTION runlog.maintain(worker_id text, at timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (enqueued integer, prewarmed integer, reaped integer)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
BEGIN
    -- One driver at a time, however many workers call this.
    IF NOT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('runlog.maintain')) THEN
        RETURN;
    END IF;
    enqueued := runlog.tick(maintain.at, 'worker:' || pg_catalog.left(maintain.worker_id, 190));
    prewarmed := runlog.prewarm(maintain.at);
    reaped := runlog.reap_stale();
    RETURN NEXT;
END
$function$;

COMMENT ON FUNCTION runlog.maintain(text, timestamptz) IS
'tick + prewarm + reap_stale for deployments without pg_cron, driven by workers (pyrunlog worker --tick); an advisory lock lets one caller at a time through (the others get no row).';
