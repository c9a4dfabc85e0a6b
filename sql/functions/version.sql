CREATE OR REPLACE FUNCTION runlog.version()
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.lpad(max(m.version)::text, 4, '0')
    FROM runlog.schema_migrations AS m;
$function$;

COMMENT ON FUNCTION runlog.version() IS
'The deployed schema version: the highest applied migration number, e.g. 0001.';
