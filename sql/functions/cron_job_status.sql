CREATE OR REPLACE FUNCTION runlog.cron_job_status()
RETURNS TABLE (jobname text, active boolean, last_status text, last_end timestamptz, last_message text)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    problem runlog.problem := runlog._cron_access_problem();  -- the owner may not use pg_cron
    cron_schema constant text := 'cron';  -- dynamic SQL: exists only with pg_cron
BEGIN
    IF problem.message IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = problem.sqlstate, MESSAGE = problem.message, HINT = problem.hint;
    END IF;
    IF pg_catalog.to_regnamespace(cron_schema) IS NULL THEN
        RETURN;
    END IF;
    -- The jobs belong to the owner of install_cron_jobs(); pg_cron shows a
    -- login only its own jobs, so operators read them through this function.
    RETURN QUERY EXECUTE pg_catalog.format(
        'SELECT j.jobname::text, j.active, d.status, d.end_time, pg_catalog.left(d.return_message, 500)'
        ' FROM %1$I.job AS j LEFT JOIN LATERAL ('
        '   SELECT r.status, r.end_time, r.return_message FROM %1$I.job_run_details AS r'
        '   WHERE r.jobid = j.jobid ORDER BY r.runid DESC LIMIT 1'
        ' ) AS d ON true'
        ' WHERE j.jobname LIKE ''runlog\_%%'' ORDER BY j.jobname',
        cron_schema
    );
END
$function$;

COMMENT ON FUNCTION runlog.cron_job_status() IS
'The runlog pg_cron jobs, whether each is active and how its last run ended (status, end time, message); no rows without pg_cron. For doctor and operators, who cannot read the owner''s rows of cron.job themselves.';
