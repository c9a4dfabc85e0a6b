CREATE OR REPLACE FUNCTION runlog._period_died(org_id uuid, integration_type text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    config runlog.settings;
    paused runlog.sync_schedule;
BEGIN
    SELECT s.* INTO STRICT config FROM runlog.settings AS s;
    UPDATE runlog.sync_schedule AS s
    SET
        dead_periods_in_row = s.dead_periods_in_row + 1,
        enabled = false,
        paused_at = pg_catalog.now(),
        paused_reason = pg_catalog.format(
            'paused automatically: %s periods died in a row and no success since %s',
            s.dead_periods_in_row + 1,
            coalesce(s.last_success_at::text, 'the schedule was created (' || s.created_at || ')')
        ),
        updated_at = pg_catalog.now()
    WHERE
        s.org_id = _period_died.org_id
        AND s.integration_type = _period_died.integration_type
        AND s.enabled
        AND s.dead_periods_in_row + 1 >= config.auto_pause_dead_periods
        AND coalesce(s.last_success_at, s.created_at) <= pg_catalog.now() - config.auto_pause_without_success
    RETURNING s.* INTO paused;
    IF FOUND THEN
        -- one notice, when the schedule is paused; no tenant data in the payload
        PERFORM pg_catalog.pg_notify(
            'runlog_alert',
            pg_catalog.json_build_object('kind', 'auto_pause', 'integration_type', paused.integration_type)::text
        );
        RETURN;
    END IF;
    UPDATE runlog.sync_schedule AS s
    SET dead_periods_in_row = s.dead_periods_in_row + 1
    WHERE s.org_id = _period_died.org_id AND s.integration_type = _period_died.integration_type;
END
$function$;

COMMENT ON FUNCTION runlog._period_died(uuid, text) IS
'Counts a dead period against the schedule of the integration and pauses the schedule (disabled, with paused_at and paused_reason, one NOTIFY runlog_alert) when settings.auto_pause_dead_periods died in a row and none succeeded for settings.auto_pause_without_success.';
