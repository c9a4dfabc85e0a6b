CREATE OR REPLACE FUNCTION runlog._run_args_problem(
    org_id uuid,
    integration_type text,
    triggered_by text,
    scheduled_for timestamptz,
    idempotency_key text
)
RETURNS runlog.problem
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF _run_args_problem.org_id IS NULL THEN
        RETURN runlog._problem('org_id must not be NULL', 'Pass the organisation''s uuid.');
    END IF;
    IF _run_args_problem.integration_type IS NULL
        OR _run_args_problem.integration_type !~ '^[a-z][a-z0-9_]*$'
        OR pg_catalog.char_length(_run_args_problem.integration_type) > 64 THEN
        RETURN runlog._problem(
            pg_catalog.format(
                'invalid integration_type %s',
                runlog._quote_value(_run_args_problem.integration_type)
            ),
            'integration_type is lower snake case, 1 to 64 characters, starting with a letter.'
        );
    END IF;
    IF _run_args_problem.triggered_by IS NULL
        OR _run_args_problem.triggered_by NOT IN ('scheduler', 'manual') THEN
        RETURN runlog._problem(
            pg_catalog.format(
                'invalid triggered_by %s',
                runlog._quote_value(_run_args_problem.triggered_by)
            ),
            'triggered_by is scheduler or manual.'
        );
    END IF;
    IF NOT pg_catalog.isfinite(_run_args_problem.scheduled_for) THEN
        RETURN runlog._problem(
            'scheduled_for must be a finite timestamp', 'Pass NULL or a timestamptz such as now().'
        );
    END IF;
    IF pg_catalog.char_length(_run_args_problem.idempotency_key) NOT BETWEEN 1 AND 255 THEN
        RETURN runlog._problem(
            pg_catalog.format(
                'invalid idempotency_key %s',
                runlog._quote_value(_run_args_problem.idempotency_key)
            ),
            'idempotency_key is 1 to 255 characters, or NULL.'
        );
    END IF;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION runlog._run_args_problem(uuid, text, text, timestamptz, text) IS
'NULL when the arguments naming a run are valid; else the problem (22023) naming the bad one.';
