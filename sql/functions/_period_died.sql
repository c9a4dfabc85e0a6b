CREATE OR REPLACE FUNCTION runlog._period_died(
    org_id uuid, integration_type text, idempotency_key text, run_id bigint
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    config runlog.settings;
    paused runlog.sync_schedule;
BEGIN
    -- A period dies once: when an operator's retry_period dies again, it is not counted again.
    IF EXISTS (
        SELECT FROM runlog.sync_run_log AS e
        WHERE
            e.org_id = _period_died.org_id
            AND e.idempotency_key = _period_died.idempotency_key
            AND e.id < _period_died.run_id
            AND e.retry_decision IN ('exhausted', 'not_retryable', 'window_closed')
    ) THEN
        RETURN;
    END IF;
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
        -- like disable_schedule, take the slot row's lock that tick() waits for
        PERFORM FROM runlog.schedule_slot AS n WHERE n.schedule_id = paused.id FOR NO KEY UPDATE;
        -- one notice, when the schedule is paused; no tenant data in the payload
        PERFORM pg_catalog.pg_notify(
            'runlog_alert',
            pg_catalog.json_build_object('kind', 'auto_pause', 'integration_type', paused.integration_type)::text
        );
        RETURN;
    END IF;
    -- A paused (or disabled) schedule counts nothing: resume_schedule starts again at 0.
    UPDATE runlog.sync_schedule AS s
    SET dead_periods_in_row = s.dead_periods_in_row + 1
    WHERE
        s.org_id = _period_died.org_id
        AND s.integration_type = _period_died.integration_type
        AND s.enabled;
END
$function$;

COMMENT ON FUNCTION runlog._period_died(uuid, text, text, bigint) IS
'Counts a dead period (its attempt run_id died) once, against the enabled schedule of the integration and pauses the schedule (disabled, with paused_at and paused_reason, one NOTIFY runlog_alert) when settings.auto_pause_dead_periods died in a row and none succeeded for settings.auto_pause_without_success.';
