CREATE OR REPLACE FUNCTION runlog._notify_health(
    org_id uuid, integration_type text, old_state text, new_state text, based_on text, error text
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF _notify_health.old_state IS DISTINCT FROM _notify_health.new_state THEN
        INSERT INTO runlog.alert_log (kind, org_id, integration_type, details)
        VALUES (
            'health', _notify_health.org_id, _notify_health.integration_type,
            pg_catalog.jsonb_build_object(
                'from', _notify_health.old_state, 'to', _notify_health.new_state,
                'based_on', _notify_health.based_on, 'error', pg_catalog.left(_notify_health.error, 200)
            )
        );
        -- Any connection can LISTEN: the payload names no organisation.
        PERFORM pg_catalog.pg_notify('runlog_alert', 'health');
    END IF;
END
$function$;

COMMENT ON FUNCTION runlog._notify_health(uuid, text, text, text, text, text) IS
'When the health of an integration changes: a health row in runlog.alert_log and NOTIFY runlog_alert with payload health.';
