CREATE OR REPLACE FUNCTION runlog._quote_value(value text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT CASE
        WHEN value IS NULL THEN 'NULL'
        WHEN pg_catalog.char_length(value) > 80
            THEN pg_catalog.format(
                '%L... (%s characters)',
                pg_catalog.left(value, 80),
                pg_catalog.char_length(value)
            )
        ELSE pg_catalog.quote_literal(value)
    END;
$function$;

COMMENT ON FUNCTION runlog._quote_value(text) IS
'A value quoted for an error message, cut to 80 characters.';
