CREATE OR REPLACE FUNCTION runlog._check_time_zone(time_zone text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    problem runlog.problem := runlog._time_zone_problem(_check_time_zone.time_zone);
BEGIN
    IF problem.message IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = problem.sqlstate, MESSAGE = problem.message, HINT = problem.hint;
    END IF;
END
$function$;

COMMENT ON FUNCTION runlog._check_time_zone(text) IS
'Raises the problem runlog._time_zone_problem finds (22023). Public functions raise it themselves, to show no helper chain.';
