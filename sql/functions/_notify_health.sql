CREATE OR REPLACE FUNCTION runlog._notify_health(
    org_id uuid, integration_type text, old_state text, new_state text, based_on text, error text
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF old_state IS DISTINCT FROM new_state THEN
        PERFORM pg_catalog.pg_notify(
            'runlog_alert',
            pg_catalog.json_build_object(
                'kind', 'health', 'org_id', org_id, 'integration_type', integration_type,
                'from', old_state, 'to', new_state, 'based_on', based_on,
                'error', pg_catalog.left(error, 200)
            )::text
        );
    END IF;
END
$function$;

COMMENT ON FUNCTION runlog._notify_health(uuid, text, text, text, text, text) IS
'NOTIFY runlog_alert when the health of an integration changes.';
