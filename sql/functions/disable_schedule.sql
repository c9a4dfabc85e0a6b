CREATE OR REPLACE FUNCTION runlog.disable_schedule(org_id uuid, integration_type text)
RETURNS runlog.sync_schedule
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
    SELECT runlog.enable_schedule(org_id, integration_type, false);
$function$;

COMMENT ON FUNCTION runlog.disable_schedule(uuid, text) IS
'Disables a schedule: it enqueues nothing until enabled again. RL004 when there is none.';
