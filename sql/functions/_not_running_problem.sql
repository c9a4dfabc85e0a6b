CREATE OR REPLACE FUNCTION runlog._not_running_problem(run_id bigint)
RETURNS runlog.problem
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    found_status text;
BEGIN
    IF _not_running_problem.run_id IS NULL THEN
        RETURN runlog._problem(
            'run_id must not be NULL',
            'Pass the id that start_run, claim_next or claim_runs returned for the run.'
        );
    END IF;
    SELECT r.status INTO found_status
    FROM runlog.sync_run_log AS r
    WHERE r.id = _not_running_problem.run_id;
    IF NOT FOUND THEN
        RETURN runlog._problem(
            pg_catalog.format('run %s not found', _not_running_problem.run_id),
            'No run has this id: ids come from start_run, claim_next or claim_runs.',
            'RL004'
        );
    END IF;
    RETURN runlog._problem(
        pg_catalog.format('run %s is not running: its status is %s', _not_running_problem.run_id, found_status),
        'A run is finished or heartbeated once, while it runs; see its row in runlog.sync_run_log.',
        'RL002'
    );
END
$function$;

COMMENT ON FUNCTION runlog._not_running_problem(bigint) IS
'Why a run cannot be finished or heartbeated: run_id NULL (22023), no such run (RL004), or its status (RL002).';
