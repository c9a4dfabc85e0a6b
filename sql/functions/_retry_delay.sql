CREATE OR REPLACE FUNCTION runlog._retry_delay(policy runlog.retry_policy, counted_attempt integer)
RETURNS interval
LANGUAGE sql
VOLATILE
AS $function$
    -- sql without SET, so that the planner inlines it into _fail_attempt's expression:
    -- one call per failed attempt costs no function call of its own.
    -- In seconds as double precision, exponent capped at 60: no interval overflows.
    SELECT pg_catalog.make_interval(
        secs => least(
            pg_catalog.date_part('epoch', (policy).max_delay),
            pg_catalog.date_part('epoch', (policy).initial_delay)
            * pg_catalog.power(
                (policy).backoff_factor::double precision,
                least(greatest(counted_attempt, 1) - 1, 60)
            )
        ) * (1 + (policy).jitter::double precision * (2 * pg_catalog.random() - 1))
    );
$function$;

COMMENT ON FUNCTION runlog._retry_delay(runlog.retry_policy, integer) IS
'The backoff after the counted_attempt-th attempt failed: min(max_delay, initial_delay * backoff_factor ^ (counted_attempt - 1)), times a random factor in [1 - jitter, 1 + jitter].';
