CREATE OR REPLACE FUNCTION runlog.parse_cron(expr text)
RETURNS runlog.cron_spec
LANGUAGE plpgsql
IMMUTABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    parsed record := runlog._parse_cron(parse_cron.expr);
BEGIN
    IF (parsed.problem).message IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = (parsed.problem).sqlstate, MESSAGE = (parsed.problem).message, HINT = (parsed.problem).hint;
    END IF;
    RETURN parsed.spec;
END
$function$;

COMMENT ON FUNCTION runlog.parse_cron(text) IS
'Parses a 5-field cron expression (minute hour day-of-month month day-of-week) as croniter reads it; raises 22023 naming the bad part.';
