CREATE OR REPLACE FUNCTION runlog.health_mode_of(org_id uuid, integration_type text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT coalesce(
        (SELECT m.mode FROM runlog.health_modes AS m
         WHERE m.integration_type = health_mode_of.integration_type AND m.org_id = health_mode_of.org_id),
        (SELECT m.mode FROM runlog.health_modes AS m
         WHERE m.integration_type = health_mode_of.integration_type AND m.org_id IS NULL),
        'active'
    );
$function$;

COMMENT ON FUNCTION runlog.health_mode_of(uuid, text) IS
'The effective health mode of an integration of an organisation: its override, else the integration type''s mode, else active.';
