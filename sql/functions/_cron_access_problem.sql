CREATE OR REPLACE FUNCTION runlog._cron_access_problem()
RETURNS runlog.problem
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    -- Called by the SECURITY DEFINER cron functions: current_user is the
    -- schema owner, which pg_cron lets in only with USAGE on schema cron.
    SELECT runlog._problem(
        pg_catalog.format(
            'the owner of schema runlog, %I, may not use schema cron', current_user
        ),
        pg_catalog.format(
            'As a superuser: GRANT USAGE ON SCHEMA cron TO %I; the runlog functions that '
            'install and read the pg_cron jobs run as the schema owner.',
            current_user
        ),
        '42501'
    )
    WHERE pg_catalog.to_regnamespace('cron') IS NOT NULL
        AND NOT pg_catalog.has_schema_privilege('cron', 'USAGE');
$function$;

COMMENT ON FUNCTION runlog._cron_access_problem() IS
'Why the current user (the schema owner, inside the SECURITY DEFINER cron functions) may not use pg_cron: 42501 naming the missing GRANT USAGE ON SCHEMA cron; NULL when it may, or when pg_cron is not installed.';
