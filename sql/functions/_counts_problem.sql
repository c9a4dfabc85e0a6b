CREATE OR REPLACE FUNCTION runlog._counts_problem(records_processed bigint, records_failed bigint)
RETURNS runlog.problem
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF _counts_problem.records_processed < 0 THEN
        RETURN runlog._problem(
            pg_catalog.format('records_processed must not be negative, got %s', _counts_problem.records_processed),
            'Counts are 0 or more; NULL keeps the stored count.'
        );
    END IF;
    IF _counts_problem.records_failed < 0 THEN
        RETURN runlog._problem(
            pg_catalog.format('records_failed must not be negative, got %s', _counts_problem.records_failed),
            'Counts are 0 or more; NULL keeps the stored count.'
        );
    END IF;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION runlog._counts_problem(bigint, bigint) IS
'NULL when the record counts are valid (0 or more, or NULL); else the problem (22023) naming the negative one.';
