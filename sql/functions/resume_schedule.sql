CREATE OR REPLACE FUNCTION runlog.resume_schedule(org_id uuid, integration_type text)
RETURNS runlog.sync_schedule
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    saved runlog.sync_schedule;
BEGIN
    -- enable_schedule skips the slots passed while paused (RL004 when there is none)
    PERFORM runlog.enable_schedule(resume_schedule.org_id, resume_schedule.integration_type, true);
    UPDATE runlog.sync_schedule AS s
    SET paused_at = NULL, paused_reason = NULL, dead_periods_in_row = 0
    WHERE s.org_id = resume_schedule.org_id AND s.integration_type = resume_schedule.integration_type
    RETURNING s.* INTO saved;
    RETURN saved;
END
$function$;

COMMENT ON FUNCTION runlog.resume_schedule(uuid, text) IS
'Resumes a schedule (paused automatically or disabled): enables it, clears paused_at and paused_reason and resets the dead-period count. Slots passed while paused are skipped. RL004 when there is none.';
