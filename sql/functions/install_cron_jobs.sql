CREATE OR REPLACE FUNCTION runlog.install_cron_jobs(
    tick_schedule text DEFAULT '* * * * *', retention_schedule text DEFAULT '17 3 * * *'
)
RETURNS TABLE (jobname text, schedule text, command text)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    job record;
    cron_schema constant text := 'cron';  -- dynamic SQL: exists only with pg_cron
BEGIN
    IF pg_catalog.to_regnamespace(cron_schema) IS NULL THEN
        RAISE EXCEPTION 'pg_cron is not installed in database %', pg_catalog.current_database()
            USING ERRCODE = '55000',
                  HINT = 'Set shared_preload_libraries = pg_cron and cron.database_name to this database, '
                      'restart, CREATE EXTENSION pg_cron; or run a worker with --tick instead.';
    END IF;
    FOR job IN
        SELECT * FROM (VALUES
            ('runlog_tick', install_cron_jobs.tick_schedule, 'SELECT runlog.tick()'),
            ('runlog_prewarm', install_cron_jobs.tick_schedule, 'SELECT runlog.prewarm()'),
            ('runlog_reaper', install_cron_jobs.tick_schedule, 'SELECT runlog.reap_stale()'),
            ('runlog_retention', install_cron_jobs.retention_schedule, 'SELECT runlog.prune()')
        ) AS j (name, cron, sql)
    LOOP
        -- cron.schedule(name, ...) replaces a job of the same name: one row per job
        EXECUTE pg_catalog.format('SELECT %I.schedule($1, $2, $3)', cron_schema)
        USING job.name, job.cron, job.sql;
        jobname := job.name;
        schedule := job.cron;
        command := job.sql;
        RETURN NEXT;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION runlog.install_cron_jobs(text, text) IS
'Installs or updates the pg_cron jobs runlog_tick, runlog_prewarm, runlog_reaper (every minute) and runlog_retention (daily); idempotent. 55000 when pg_cron is not installed in this database.';
