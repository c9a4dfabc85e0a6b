CREATE OR REPLACE FUNCTION runlog._schedule_summary(schedule runlog.sync_schedule, slot runlog.schedule_slot)
RETURNS runlog.schedule_summary
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT ROW(
        (schedule).id, (schedule).org_id, (schedule).integration_type, (schedule).cron,
        (schedule).time_zone, (schedule).enabled, (schedule).catch_up, (schedule).prewarm_lead,
        (slot).next_slot, (slot).last_slot, (schedule).updated_at
    )::runlog.schedule_summary;
$function$;

COMMENT ON FUNCTION runlog._schedule_summary(runlog.sync_schedule, runlog.schedule_slot) IS
'A schedule and its slot as the schedule functions return them: as written, without the parsed cron arrays.';
