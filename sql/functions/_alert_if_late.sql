CREATE OR REPLACE FUNCTION runlog._alert_if_late()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF new.drift_seconds > (
        SELECT pg_catalog.date_part('epoch', s.drift_threshold) FROM runlog.settings AS s
    ) THEN
        PERFORM pg_catalog.pg_notify(
            'runlog_alert',
            pg_catalog.json_build_object(
                'kind', 'drift', 'run_id', new.id, 'org_id', new.org_id,
                'integration_type', new.integration_type,
                'scheduled_for', new.scheduled_for, 'drift_seconds', new.drift_seconds
            )::text
        );
    END IF;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION runlog._alert_if_late() IS
'Trigger: NOTIFY runlog_alert when a scheduled run starts later after its slot than settings.drift_threshold.';
