CREATE OR REPLACE FUNCTION runlog._schedule_summary(schedule runlog.sync_schedule)
RETURNS runlog.schedule_summary
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT ROW(
        (schedule).id, (schedule).org_id, (schedule).integration_type, (schedule).cron,
        (schedule).time_zone, (schedule).enabled, (schedule).catch_up, (schedule).prewarm_lead,
        (schedule).next_slot, (schedule).last_slot, (schedule).updated_at
    )::runlog.schedule_summary;
$function$;

COMMENT ON FUNCTION runlog._schedule_summary(runlog.sync_schedule) IS
'A schedule row as the schedule functions return it: as written, without the parsed cron arrays.';
