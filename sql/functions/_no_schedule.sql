CREATE OR REPLACE FUNCTION runlog._no_schedule(org_id uuid, integration_type text)
RETURNS runlog.problem
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
-- plpgsql, not sql: the files run in name order under psql, and a SQL body
-- is checked against functions (_problem, _quote_value) created after it.
BEGIN
    -- The schedule functions raise it themselves, so psql shows one CONTEXT line.
    RETURN runlog._problem(
        pg_catalog.format(
            'no schedule for %s of organisation %s',
            runlog._quote_value(_no_schedule.integration_type), _no_schedule.org_id
        ),
        'SELECT org_id, integration_type FROM runlog.sync_schedule lists the schedules.',
        'RL004'
    );
END
$function$;

COMMENT ON FUNCTION runlog._no_schedule(uuid, text) IS
'The RL004 problem (message and hint) a schedule function raises when the organisation has no schedule for the integration.';
