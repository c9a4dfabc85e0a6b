CREATE OR REPLACE FUNCTION runlog.delete_schedule(org_id uuid, integration_type text)
RETURNS runlog.sync_schedule
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    removed runlog.sync_schedule;
BEGIN
    DELETE FROM runlog.sync_schedule AS s
    WHERE s.org_id = delete_schedule.org_id AND s.integration_type = delete_schedule.integration_type
    RETURNING s.* INTO removed;
    IF NOT FOUND THEN
        PERFORM runlog._no_schedule(delete_schedule.org_id, delete_schedule.integration_type);
    END IF;
    DELETE FROM runlog.schedule_prewarm AS w WHERE w.schedule_id = removed.id;
    RETURN removed;
END
$function$;

COMMENT ON FUNCTION runlog.delete_schedule(uuid, text) IS
'Deletes a schedule (its runs stay in the log); RL004 when there is none.';
