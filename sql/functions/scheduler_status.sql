CREATE OR REPLACE FUNCTION runlog.scheduler_status()
RETURNS TABLE (driver text, cron_jobs integer, last_tick_at timestamptz, last_tick_by text)
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
    cron_jobs := 0;
    IF pg_catalog.to_regnamespace(cron_schema) IS NOT NULL THEN
        EXECUTE pg_catalog.format(
            'SELECT count(*)::integer FROM %I.job WHERE jobname LIKE ''runlog\_%%'' AND active', cron_schema
        ) INTO cron_jobs;
    END IF;
    SELECT s.last_tick_at, s.last_tick_by INTO last_tick_at, last_tick_by FROM runlog.scheduler_state AS s;
    driver := CASE
        WHEN cron_jobs > 0 THEN 'pg_cron'
        WHEN last_tick_by LIKE 'worker:%' AND last_tick_at > pg_catalog.now() - interval '5 minutes' THEN 'worker'
        ELSE 'none'
    END;
    RETURN NEXT;
END
$function$;

COMMENT ON FUNCTION runlog.scheduler_status() IS
'Which driver runs tick/prewarm/reaper: pg_cron (jobs installed), worker (a worker ticked in the last 5 minutes) or none.';
