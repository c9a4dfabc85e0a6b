CREATE OR REPLACE FUNCTION runlog.disable_schedule(org_id uuid, integration_type text)
RETURNS runlog.schedule_summary
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
BEGIN
    RETURN runlog.enable_schedule(disable_schedule.org_id, disable_schedule.integration_type, false);
END
$function$;

COMMENT ON FUNCTION runlog.disable_schedule(uuid, text) IS
'Disables a schedule: it enqueues nothing until enabled again. RL004 when there is none.';
