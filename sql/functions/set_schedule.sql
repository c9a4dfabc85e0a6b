CREATE OR REPLACE FUNCTION runlog.set_schedule(
    org_id uuid,
    integration_type text,
    cron text,
    time_zone text DEFAULT 'UTC',
    catch_up text DEFAULT 'latest',
    prewarm_lead interval DEFAULT '1 minute',
    enabled boolean DEFAULT true
)
RETURNS runlog.sync_schedule
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    spec runlog.cron_spec;
    first_slot timestamptz;
    saved runlog.sync_schedule;
BEGIN
    PERFORM runlog._check_run_args(
        set_schedule.org_id, set_schedule.integration_type, 'scheduler', NULL, NULL
    );
    spec := runlog.parse_cron(set_schedule.cron);
    PERFORM runlog._check_time_zone(set_schedule.time_zone);
    IF set_schedule.catch_up IS NULL OR set_schedule.catch_up NOT IN ('none', 'latest', 'all') THEN
        PERFORM runlog._invalid(
            pg_catalog.format('invalid catch_up %s', runlog._quote_value(set_schedule.catch_up)),
            'catch_up is none, latest or all.'
        );
    END IF;
    IF set_schedule.prewarm_lead IS NULL
        OR set_schedule.prewarm_lead NOT BETWEEN interval '0' AND interval '1 hour' THEN
        PERFORM runlog._invalid(
            pg_catalog.format('prewarm_lead must be between 0 and 1 hour, got %s', set_schedule.prewarm_lead)
        );
    END IF;
    first_slot := runlog._next_slot(spec, set_schedule.time_zone, pg_catalog.now());
    IF first_slot IS NULL THEN
        PERFORM runlog._invalid(pg_catalog.format(
            'cron expression %s never fires (no slot within 8 years)', runlog._quote_value(set_schedule.cron)
        ));
    END IF;
    INSERT INTO runlog.sync_schedule AS s (
        org_id, integration_type, cron, cron_spec, time_zone, catch_up, prewarm_lead, enabled, next_slot
    )
    VALUES (
        set_schedule.org_id, set_schedule.integration_type, set_schedule.cron, spec,
        set_schedule.time_zone, set_schedule.catch_up, set_schedule.prewarm_lead,
        coalesce(set_schedule.enabled, true), first_slot
    )
    ON CONFLICT ON CONSTRAINT sync_schedule_org_integration_key DO UPDATE
        SET
            cron = excluded.cron,
            cron_spec = excluded.cron_spec,
            time_zone = excluded.time_zone,
            catch_up = excluded.catch_up,
            prewarm_lead = excluded.prewarm_lead,
            enabled = excluded.enabled,
            -- a changed expression or zone starts from now; otherwise keep the place
            next_slot = CASE
                WHEN s.cron IS DISTINCT FROM excluded.cron
                    OR s.time_zone IS DISTINCT FROM excluded.time_zone
                    OR NOT s.enabled
                    THEN excluded.next_slot
                ELSE s.next_slot
            END,
            updated_at = pg_catalog.now()
    RETURNING s.* INTO saved;
    RETURN saved;
END
$function$;

COMMENT ON FUNCTION runlog.set_schedule(uuid, text, text, text, text, interval, boolean) IS
'Creates or replaces the schedule of an integration of an organisation; validates the expression and zone (22023). A new expression or zone takes effect from now.';
