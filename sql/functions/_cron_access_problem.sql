CREATE OR REPLACE FUNCTION runlog._cron_access_problem()
RETURNS runlog.problem
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    -- Called by the SECURITY DEFINER cron functions: current_user is the
    -- schema owner, which pg_cron lets in only with USAGE on schema cron.
    IF pg_catalog.to_regnamespace('cron') IS NULL OR pg_catalog.has_schema_privilege('cron', 'USAGE') THEN
        RETURN NULL;
    END IF;
    RETURN runlog._problem(
        pg_catalog.format('the owner of schema runlog, %I, may not use schema cron', current_user),
        pg_catalog.format(
            'As a superuser: GRANT USAGE ON SCHEMA cron TO %I; the runlog functions that '
            'install and read the pg_cron jobs run as the schema owner.',
            current_user
        ),
        '42501'
    );
END
$function$;

COMMENT ON FUNCTION runlog._cron_access_problem() IS
'Why the current user (the schema owner, inside the SECURITY DEFINER cron functions) may not use pg_cron: 42501 naming the missing GRANT USAGE ON SCHEMA cron; NULL when it may, or when pg_cron is not installed.';
