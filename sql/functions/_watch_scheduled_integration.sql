CREATE OR REPLACE FUNCTION runlog._watch_scheduled_integration()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    INSERT INTO runlog.integration_health (org_id, integration_type)
    VALUES (new.org_id, new.integration_type)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION runlog._watch_scheduled_integration() IS
'Trigger: a new schedule gets a health row (state unknown, first check due now).';
