CREATE OR REPLACE FUNCTION runlog._alert_if_late()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    -- Drift is the scheduler's lateness: only a period's first attempt (a retry
    -- waits its backoff, a hold or an operator on purpose).
    IF new.attempt = 1 AND new.drift_seconds > (
        SELECT pg_catalog.date_part('epoch', s.drift_threshold) FROM runlog.settings AS s
    ) THEN
        INSERT INTO runlog.alert_log (kind, org_id, integration_type, run_id, details)
        VALUES (
            'drift', new.org_id, new.integration_type, new.id,
            pg_catalog.jsonb_build_object(
                'scheduled_for', new.scheduled_for, 'drift_seconds', new.drift_seconds
            )
        );
        -- Any connection can LISTEN: the payload names no organisation.
        PERFORM pg_catalog.pg_notify('runlog_alert', 'drift');
    END IF;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION runlog._alert_if_late() IS
'Trigger: when a scheduled run''s first attempt (attempt 1) starts later after its slot than settings.drift_threshold, a drift row in runlog.alert_log and NOTIFY runlog_alert with payload drift.';
