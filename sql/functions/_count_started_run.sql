CREATE OR REPLACE FUNCTION runlog._count_started_run()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    bounds constant double precision[] := runlog._drift_bounds();
    drift constant double precision := new.drift_seconds;
    bucket integer;
    cold integer;
BEGIN
    IF new.attempt <> 1 THEN
        RETURN NULL;  -- drift is the scheduler's lateness: a retry's wait is no drift
    END IF;
    SELECT pg_catalog.count(*)::integer + 1 INTO bucket
    FROM pg_catalog.unnest(bounds) AS b (bound)
    WHERE b.bound < drift;
    cold := CASE
        WHEN EXISTS (SELECT FROM runlog.cold_starts AS c WHERE c.id = new.id) THEN 1
        ELSE 0
    END;
    INSERT INTO runlog.start_counters AS c (
        integration_type, shard, drift_buckets, drift_sum, starts, cold_starts
    )
    SELECT
        new.integration_type,
        pg_catalog.pg_backend_pid() % 8,
        pg_catalog.array_agg((i.n = bucket)::integer::bigint ORDER BY i.n),
        drift,
        1,
        cold
    FROM pg_catalog.generate_series(1, pg_catalog.cardinality(bounds) + 1) AS i (n)
    ON CONFLICT (integration_type, shard) DO UPDATE SET
        drift_buckets[bucket] = c.drift_buckets[bucket] + 1,
        drift_sum = c.drift_sum + excluded.drift_sum,
        starts = c.starts + 1,
        cold_starts = c.cold_starts + excluded.cold_starts;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION runlog._count_started_run() IS
'Trigger: adds a started scheduled run (its first attempt; retries wait on purpose) to runlog.start_counters: its drift bucket, drift sum and whether it started cold (is in the view runlog.cold_starts).';
