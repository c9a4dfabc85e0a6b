CREATE OR REPLACE FUNCTION runlog._check_counts(records_processed bigint, records_failed bigint)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    problem runlog.problem := runlog._counts_problem(_check_counts.records_processed, _check_counts.records_failed);
BEGIN
    IF problem.message IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = problem.sqlstate, MESSAGE = problem.message, HINT = problem.hint;
    END IF;
END
$function$;

COMMENT ON FUNCTION runlog._check_counts(bigint, bigint) IS
'Raises the problem runlog._counts_problem finds (22023). Public functions raise it themselves, to show no helper chain.';
