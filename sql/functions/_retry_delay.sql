CREATE OR REPLACE FUNCTION runlog._retry_delay(policy runlog.retry_policy, counted_attempt integer)
RETURNS interval
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    -- In seconds as double precision, exponent capped at 60: no interval overflows.
    RETURN pg_catalog.make_interval(
        secs => least(
            pg_catalog.date_part('epoch', _retry_delay.policy.max_delay),
            pg_catalog.date_part('epoch', _retry_delay.policy.initial_delay)
            * pg_catalog.power(
                _retry_delay.policy.backoff_factor::double precision,
                least(greatest(_retry_delay.counted_attempt, 1) - 1, 60)
            )
        ) * (1 + _retry_delay.policy.jitter::double precision * (2 * pg_catalog.random() - 1))
    );
END
$function$;

COMMENT ON FUNCTION runlog._retry_delay(runlog.retry_policy, integer) IS
'The backoff after the counted_attempt-th attempt failed: min(max_delay, initial_delay * backoff_factor ^ (counted_attempt - 1)), times a random factor in [1 - jitter, 1 + jitter].';
