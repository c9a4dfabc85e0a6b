CREATE OR REPLACE FUNCTION runlog.resume_schedule(org_id uuid, integration_type text)
RETURNS runlog.schedule_summary
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    saved runlog.sync_schedule;
    resumed runlog.schedule_summary;
    problem runlog.problem;
BEGIN
    -- raised here, not in enable_schedule: one CONTEXT line, naming this function
    IF NOT EXISTS (
        SELECT FROM runlog.sync_schedule AS s
        WHERE s.org_id = resume_schedule.org_id AND s.integration_type = resume_schedule.integration_type
    ) THEN
        problem := runlog._no_schedule(resume_schedule.org_id, resume_schedule.integration_type);
        RAISE EXCEPTION USING ERRCODE = problem.sqlstate, MESSAGE = problem.message, HINT = problem.hint;
    END IF;
    -- enable_schedule skips the slots passed while paused (RL004 when there is none)
    resumed := runlog.enable_schedule(resume_schedule.org_id, resume_schedule.integration_type, true);
    UPDATE runlog.sync_schedule AS s
    SET paused_at = NULL, paused_reason = NULL, dead_periods_in_row = 0
    WHERE s.id = resumed.id
    RETURNING s.* INTO saved;
    RETURN resumed;
END
$function$;

COMMENT ON FUNCTION runlog.resume_schedule(uuid, text) IS
'Resumes a schedule (paused automatically or disabled): enables it, clears paused_at and paused_reason and resets the dead-period count. Slots passed while paused are skipped. Returns the schedule as the other schedule functions do. RL004 when there is none.';
