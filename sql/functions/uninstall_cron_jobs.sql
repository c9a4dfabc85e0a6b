CREATE OR REPLACE FUNCTION runlog.uninstall_cron_jobs()
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    problem runlog.problem := runlog._cron_access_problem();  -- the owner may not use pg_cron
    removed integer := 0;
    name text;
    cron_schema constant text := 'cron';  -- dynamic SQL: exists only with pg_cron
BEGIN
    IF problem.message IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = problem.sqlstate, MESSAGE = problem.message, HINT = problem.hint;
    END IF;
    IF pg_catalog.to_regnamespace(cron_schema) IS NULL THEN
        RETURN 0;
    END IF;
    FOR name IN EXECUTE pg_catalog.format(
        'SELECT jobname FROM %I.job WHERE jobname LIKE ''runlog\_%%''', cron_schema
    ) LOOP
        EXECUTE pg_catalog.format('SELECT %I.unschedule($1)', cron_schema) USING name;
        removed := removed + 1;
    END LOOP;
    RETURN removed;
END
$function$;

COMMENT ON FUNCTION runlog.uninstall_cron_jobs() IS
'Removes the runlog pg_cron jobs (e.g. to let workers drive the jobs). Returns how many were removed.';
