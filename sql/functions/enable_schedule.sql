CREATE OR REPLACE FUNCTION runlog.enable_schedule(org_id uuid, integration_type text, enabled boolean DEFAULT true)
RETURNS runlog.schedule_summary
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    saved runlog.sync_schedule;
BEGIN
    UPDATE runlog.sync_schedule AS s
    SET
        enabled = coalesce(enable_schedule.enabled, true),
        -- slots passed while disabled are not caught up
        next_slot = CASE
            WHEN NOT s.enabled AND coalesce(enable_schedule.enabled, true)
                THEN runlog._next_slot(s.cron_spec, s.time_zone, pg_catalog.now())
            ELSE s.next_slot
        END,
        updated_at = pg_catalog.now()
    WHERE s.org_id = enable_schedule.org_id AND s.integration_type = enable_schedule.integration_type
    RETURNING s.* INTO saved;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'RL004',
            MESSAGE = pg_catalog.format(
                'no schedule for %s of organisation %s', runlog._quote_value(enable_schedule.integration_type), enable_schedule.org_id
            ),
            HINT = 'SELECT org_id, integration_type FROM runlog.sync_schedule lists the schedules.';
    END IF;
    RETURN runlog._schedule_summary(saved);
END
$function$;

COMMENT ON FUNCTION runlog.enable_schedule(uuid, text, boolean) IS
'Enables (or, with enabled = false, disables) a schedule; RL004 when there is none. Slots passed while disabled are skipped.';
