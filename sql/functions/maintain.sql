CREATE OR REPLACE FUNCTION runlog.maintain(worker_id text)
RETURNS TABLE (enqueued integer, prewarmed integer, reaped integer)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
BEGIN
    -- One driver at a time, however many workers call this: a row lock on an
    -- owner-only table (an advisory lock could be taken by any login).
    PERFORM FROM runlog.scheduler_state AS t FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- The database clock: a worker does not choose the time (admins: tick(at)).
    enqueued := runlog.tick(pg_catalog.now(), 'worker:' || pg_catalog.left(maintain.worker_id, 190));
    prewarmed := runlog.prewarm(pg_catalog.now());
    -- reap_stale leaves a run whose schedule another transaction holds for
    -- next time; should it still fail on a lock, tick's and pre-warm's work
    -- for every organisation stands.
    BEGIN
        reaped := runlog.reap_stale();
    EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
        RAISE WARNING 'maintain: reap_stale gave up on a lock another transaction holds (%); it tries again next minute',
            SQLERRM;
        reaped := 0;
    END;
    RETURN NEXT;
END
$function$;

COMMENT ON FUNCTION runlog.maintain(text) IS
'tick + prewarm + reap_stale at the database''s now() for deployments without pg_cron, driven by workers (pyrunlog worker --tick); a row lock on the owner-only runlog.scheduler_state lets one caller at a time through (the others get no row).';
