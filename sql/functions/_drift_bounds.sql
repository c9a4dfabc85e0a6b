CREATE OR REPLACE FUNCTION runlog._drift_bounds()
RETURNS double precision[]
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN ARRAY[1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600]::double precision[];

COMMENT ON FUNCTION runlog._drift_bounds() IS
'Upper bounds (seconds) of the start-drift histogram buckets, without +Inf; runlog.start_counters.drift_buckets has one more element.';
