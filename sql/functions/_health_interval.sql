CREATE OR REPLACE FUNCTION runlog._health_interval(failures integer, config runlog.settings)
RETURNS interval
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    -- 15, 15, 30, 60, ... minutes for 0, 1, 2, 3 ... consecutive failures, capped
    SELECT least(
        (config).health_min_interval * pg_catalog.power(2, greatest(failures - 1, 0))::integer,
        (config).health_max_interval
    );
$function$;

COMMENT ON FUNCTION runlog._health_interval(integer, runlog.settings) IS
'The wait before the next active check after this many consecutive failures: min, min, 2 min, 4 min ... capped at the maximum.';
