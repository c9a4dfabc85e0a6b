CREATE OR REPLACE FUNCTION runlog.disable_schedule(org_id uuid, integration_type text)
RETURNS runlog.schedule_summary
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    problem runlog.problem;
BEGIN
    -- raised here, not in enable_schedule: one CONTEXT line, naming this function
    IF NOT EXISTS (
        SELECT FROM runlog.sync_schedule AS s
        WHERE s.org_id = disable_schedule.org_id AND s.integration_type = disable_schedule.integration_type
    ) THEN
        problem := runlog._no_schedule(disable_schedule.org_id, disable_schedule.integration_type);
        RAISE EXCEPTION USING ERRCODE = problem.sqlstate, MESSAGE = problem.message, HINT = problem.hint;
    END IF;
    RETURN runlog.enable_schedule(disable_schedule.org_id, disable_schedule.integration_type, false);
END
$function$;

COMMENT ON FUNCTION runlog.disable_schedule(uuid, text) IS
'Disables a schedule: it enqueues nothing until enabled again. RL004 when there is none.';
