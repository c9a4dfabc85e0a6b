CREATE OR REPLACE FUNCTION runlog._raise_not_running(run_id bigint)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    problem runlog.problem := runlog._not_running_problem(_raise_not_running.run_id);
BEGIN
    RAISE EXCEPTION USING ERRCODE = problem.sqlstate, MESSAGE = problem.message, HINT = problem.hint;
END
$function$;

COMMENT ON FUNCTION runlog._raise_not_running(bigint) IS
'Raises why a run cannot be finished or heartbeated (22023, RL004 or RL002; see runlog._not_running_problem).';
