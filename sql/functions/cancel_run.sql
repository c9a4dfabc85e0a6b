CREATE OR REPLACE FUNCTION runlog.cancel_run(run_id bigint, reason text DEFAULT NULL)
RETURNS runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    cancelled runlog.sync_run_log;
    found_status text;
BEGIN
    UPDATE runlog.sync_run_log AS r
    SET
        status = 'cancelled',
        ended_at = greatest(pg_catalog.clock_timestamp(), r.started_at, r.queued_at),
        error_message = pg_catalog.left(cancel_run.reason, 2000)
    WHERE r.id = cancel_run.run_id AND r.status IN ('queued', 'running')
    RETURNING r.* INTO cancelled;
    IF FOUND THEN
        RETURN cancelled;
    END IF;
    SELECT r.status INTO found_status FROM runlog.sync_run_log AS r WHERE r.id = cancel_run.run_id;
    IF cancel_run.run_id IS NULL THEN
        RAISE EXCEPTION 'run_id must not be NULL'
            USING ERRCODE = '22023', HINT = 'Pass the id of a queued or running run.';
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'run % not found', cancel_run.run_id USING ERRCODE = 'RL004';
    END IF;
    RAISE EXCEPTION 'run % cannot be cancelled: its status is %', cancel_run.run_id, found_status
        USING ERRCODE = 'RL002';
END
$function$;

COMMENT ON FUNCTION runlog.cancel_run(bigint, text) IS
'Cancels a queued or running run, storing the reason as its error_message. A running run''s worker sees RL002 at its next heartbeat and stops. RL002 when the run already ended, RL004 when unknown.';
