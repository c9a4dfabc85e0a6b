CREATE OR REPLACE FUNCTION runlog.start_run(
    org_id uuid,
    integration_type text,
    triggered_by text DEFAULT 'manual',
    scheduled_for timestamptz DEFAULT NULL,
    idempotency_key text DEFAULT NULL
)
RETURNS runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    problem runlog.problem := runlog._run_args_problem(
        start_run.org_id, start_run.integration_type, start_run.triggered_by,
        start_run.scheduled_for, start_run.idempotency_key
    );
BEGIN
    IF problem.message IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = problem.sqlstate, MESSAGE = problem.message, HINT = problem.hint;
    END IF;
    RETURN runlog._insert_run(
        start_run.org_id, start_run.integration_type, 'running', start_run.triggered_by,
        start_run.scheduled_for, start_run.idempotency_key
    );
END
$function$;

COMMENT ON FUNCTION runlog.start_run(uuid, text, text, timestamptz, text) IS
'Starts a run now (status running). Raises RL001 when the integration already runs for the organisation, RL003 when the idempotency key is live, 22023 on bad input.';
