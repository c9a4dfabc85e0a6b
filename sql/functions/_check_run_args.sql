CREATE OR REPLACE FUNCTION runlog._check_run_args(
    org_id uuid,
    integration_type text,
    triggered_by text,
    scheduled_for timestamptz,
    idempotency_key text
)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    problem runlog.problem := runlog._run_args_problem(
        _check_run_args.org_id, _check_run_args.integration_type, _check_run_args.triggered_by,
        _check_run_args.scheduled_for, _check_run_args.idempotency_key
    );
BEGIN
    IF problem.message IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = problem.sqlstate, MESSAGE = problem.message, HINT = problem.hint;
    END IF;
END
$function$;

COMMENT ON FUNCTION runlog._check_run_args(uuid, text, text, timestamptz, text) IS
'Raises the problem runlog._run_args_problem finds (22023). Public functions raise it themselves, to show no helper chain.';
