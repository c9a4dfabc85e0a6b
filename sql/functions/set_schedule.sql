CREATE OR REPLACE FUNCTION runlog.set_schedule(
    org_id uuid,
    integration_type text,
    cron text,
    time_zone text DEFAULT 'UTC',
    catch_up text DEFAULT 'latest',
    prewarm_lead interval DEFAULT '1 minute',
    enabled boolean DEFAULT true
)
RETURNS runlog.schedule_summary
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    parsed record;
    problem runlog.problem := runlog._run_args_problem(
        set_schedule.org_id, set_schedule.integration_type, 'scheduler', NULL, NULL
    );
    first_slot timestamptz;
    saved runlog.sync_schedule;
    slot runlog.schedule_slot;
    restart boolean;
BEGIN
    IF problem.message IS NULL THEN
        parsed := runlog._parse_cron(set_schedule.cron);
        problem := parsed.problem;
    END IF;
    IF problem.message IS NULL THEN
        problem := runlog._time_zone_problem(set_schedule.time_zone);
    END IF;
    IF problem.message IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = problem.sqlstate, MESSAGE = problem.message, HINT = problem.hint;
    END IF;
    IF set_schedule.catch_up IS NULL OR set_schedule.catch_up NOT IN ('none', 'latest', 'all') THEN
        RAISE EXCEPTION USING
            ERRCODE = '22023',
            MESSAGE = pg_catalog.format('invalid catch_up %s', runlog._quote_value(set_schedule.catch_up)),
            HINT = 'catch_up is none, latest or all.';
    END IF;
    IF set_schedule.prewarm_lead IS NULL
        OR set_schedule.prewarm_lead NOT BETWEEN interval '0' AND interval '1 hour' THEN
        RAISE EXCEPTION USING
            ERRCODE = '22023',
            MESSAGE = pg_catalog.format(
                'prewarm_lead must be between 0 and 1 hour, got %s',
                CASE
                    WHEN set_schedule.prewarm_lead IS NULL THEN 'NULL'
                    -- a negative lead reads as a sentence, not as -00:00:05
                    WHEN set_schedule.prewarm_lead < interval '0'
                        THEN pg_catalog.format(
                            '%s seconds',
                            pg_catalog.trim_scale(pg_catalog.date_part('epoch', set_schedule.prewarm_lead)::numeric)
                        )
                    ELSE set_schedule.prewarm_lead::text
                END
            ),
            HINT = 'The lead is how long before each slot workers get the pre-warm signal: an interval '
                'such as ''2 minutes'', or 0 for none.';
    END IF;
    first_slot := runlog._next_slot(parsed.spec, set_schedule.time_zone, pg_catalog.now());
    IF first_slot IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = '22023',
            MESSAGE = pg_catalog.format(
                'cron expression %s never fires (no slot within 8 years)', runlog._quote_value(set_schedule.cron)
            ),
            HINT = 'Check day-of-month against month: 0 0 30 2 * asks for 30 February.';
    END IF;
    -- The place in time restarts from now when the expression or zone
    -- changes or the schedule was disabled; otherwise it is kept.
    SELECT
        s.cron IS DISTINCT FROM set_schedule.cron
        OR s.time_zone IS DISTINCT FROM set_schedule.time_zone
        OR NOT s.enabled
    INTO restart
    FROM runlog.sync_schedule AS s
    WHERE s.org_id = set_schedule.org_id AND s.integration_type = set_schedule.integration_type
    FOR NO KEY UPDATE;
    INSERT INTO runlog.sync_schedule AS s (
        org_id, integration_type, cron, cron_spec, time_zone, catch_up, prewarm_lead, enabled
    )
    VALUES (
        set_schedule.org_id, set_schedule.integration_type, set_schedule.cron, parsed.spec,
        set_schedule.time_zone, set_schedule.catch_up, set_schedule.prewarm_lead,
        coalesce(set_schedule.enabled, true)
    )
    ON CONFLICT ON CONSTRAINT sync_schedule_org_integration_key DO UPDATE
        SET
            cron = excluded.cron,
            cron_spec = excluded.cron_spec,
            time_zone = excluded.time_zone,
            catch_up = excluded.catch_up,
            prewarm_lead = excluded.prewarm_lead,
            enabled = excluded.enabled,
            updated_at = pg_catalog.now()
    RETURNING s.* INTO saved;
    -- Writing the slot row, even unchanged, takes the lock tick() waits for.
    INSERT INTO runlog.schedule_slot AS n (schedule_id, next_slot)
    VALUES (saved.id, first_slot)
    ON CONFLICT (schedule_id) DO UPDATE
        SET next_slot = CASE WHEN coalesce(restart, true) THEN excluded.next_slot ELSE n.next_slot END
    RETURNING n.* INTO slot;
    RETURN runlog._schedule_summary(saved, slot);
END
$function$;

COMMENT ON FUNCTION runlog.set_schedule(uuid, text, text, text, text, interval, boolean) IS
'Creates or replaces the schedule of an integration of an organisation; validates the expression and zone (22023). A new expression or zone takes effect from now. Returns the schedule as written, with its next slot.';
