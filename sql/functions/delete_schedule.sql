CREATE OR REPLACE FUNCTION runlog.delete_schedule(org_id uuid, integration_type text)
RETURNS runlog.schedule_summary
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    problem runlog.problem;
    removed runlog.sync_schedule;
    slot runlog.schedule_slot;
BEGIN
    -- the schedule row first, then its slot (deleted with it): the order
    -- every schedule function locks them in
    PERFORM FROM runlog.sync_schedule AS s
    WHERE s.org_id = delete_schedule.org_id AND s.integration_type = delete_schedule.integration_type
    FOR UPDATE;
    SELECT n.* INTO slot
    FROM runlog.schedule_slot AS n
    INNER JOIN runlog.sync_schedule AS s ON n.schedule_id = s.id
    WHERE s.org_id = delete_schedule.org_id AND s.integration_type = delete_schedule.integration_type
    FOR UPDATE OF n;
    DELETE FROM runlog.sync_schedule AS s
    WHERE s.org_id = delete_schedule.org_id AND s.integration_type = delete_schedule.integration_type
    RETURNING s.* INTO removed;
    IF NOT FOUND THEN
        problem := runlog._no_schedule(delete_schedule.org_id, delete_schedule.integration_type);
        RAISE EXCEPTION USING ERRCODE = problem.sqlstate, MESSAGE = problem.message, HINT = problem.hint;
    END IF;
    DELETE FROM runlog.schedule_prewarm AS w WHERE w.schedule_id = removed.id;
    RETURN runlog._schedule_summary(removed, slot);
END
$function$;

COMMENT ON FUNCTION runlog.delete_schedule(uuid, text) IS
'Deletes a schedule (its runs stay in the log); RL004 when there is none.';
