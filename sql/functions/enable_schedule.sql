CREATE OR REPLACE FUNCTION runlog.enable_schedule(org_id uuid, integration_type text, enabled boolean DEFAULT true)
RETURNS runlog.schedule_summary
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    problem runlog.problem;
    saved runlog.sync_schedule;
    slot runlog.schedule_slot;
    was_enabled boolean;
BEGIN
    SELECT s.enabled INTO was_enabled
    FROM runlog.sync_schedule AS s
    WHERE s.org_id = enable_schedule.org_id AND s.integration_type = enable_schedule.integration_type
    FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        problem := runlog._no_schedule(enable_schedule.org_id, enable_schedule.integration_type);
        RAISE EXCEPTION USING ERRCODE = problem.sqlstate, MESSAGE = problem.message, HINT = problem.hint;
    END IF;
    UPDATE runlog.sync_schedule AS s
    SET
        enabled = coalesce(enable_schedule.enabled, true),
        updated_at = pg_catalog.now()
    WHERE s.org_id = enable_schedule.org_id AND s.integration_type = enable_schedule.integration_type
    RETURNING s.* INTO saved;
    -- Slots passed while disabled are not caught up. Writing the slot row,
    -- even unchanged, takes the lock tick() waits for.
    UPDATE runlog.schedule_slot AS n
    SET next_slot = CASE
        WHEN NOT was_enabled AND saved.enabled
            THEN runlog._next_slot(saved.cron_spec, saved.time_zone, pg_catalog.now())
        ELSE n.next_slot
    END
    WHERE n.schedule_id = saved.id
    RETURNING n.* INTO slot;
    RETURN runlog._schedule_summary(saved, slot);
END
$function$;

COMMENT ON FUNCTION runlog.enable_schedule(uuid, text, boolean) IS
'Enables (or, with enabled = false, disables) a schedule; RL004 when there is none. Slots passed while disabled are skipped.';
