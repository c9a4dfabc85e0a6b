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
    problem runlog.problem := runlog._cron_access_problem();  -- the owner may not use pg_cron
    job record;
    cron_schema constant text := 'cron';  -- dynamic SQL: exists only with pg_cron
    preloaded text;
    cron_database text;
BEGIN
    IF problem.message IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = problem.sqlstate, MESSAGE = problem.message, HINT = problem.hint;
    END IF;
    IF pg_catalog.to_regnamespace(cron_schema) IS NULL THEN
        -- Say which of the three steps is missing. pg_settings hides
        -- shared_preload_libraries from roles that may not read it: then NULL.
        SELECT ps.setting INTO preloaded
        FROM pg_catalog.pg_settings AS ps
        WHERE ps.name = 'shared_preload_libraries';
        cron_database := pg_catalog.current_setting('cron.database_name', true);
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_available_extensions AS e WHERE e.name = 'pg_cron') THEN
            RAISE EXCEPTION 'pg_cron is not installed on this server'
                USING ERRCODE = '55000',
                      HINT = pg_catalog.format(
                          'Install it (on Debian: postgresql-%s-cron), add pg_cron to shared_preload_libraries, '
                          'restart, and CREATE EXTENSION pg_cron; or run a worker with --tick instead.',
                          pg_catalog.current_setting('server_version_num')::integer / 10000
                      );
        END IF;
        IF coalesce(
            'pg_cron' = ANY(pg_catalog.regexp_split_to_array(preloaded, '[\s,"]+')), cron_database IS NOT NULL
        ) IS NOT TRUE THEN
            RAISE EXCEPTION 'pg_cron is not loaded: shared_preload_libraries is %',
                coalesce(pg_catalog.quote_literal(preloaded), 'not readable by this role')
                USING ERRCODE = '55000',
                      HINT = pg_catalog.format(
                          'Add pg_cron to shared_preload_libraries, set cron.database_name = %L, restart, '
                          'then CREATE EXTENSION pg_cron in this database; or run a worker with --tick instead.',
                          pg_catalog.current_database()
                      );
        END IF;
        IF cron_database IS DISTINCT FROM pg_catalog.current_database() THEN
            RAISE EXCEPTION 'pg_cron is loaded but runs its jobs in database %, not in %',
                coalesce(pg_catalog.quote_ident(cron_database), 'postgres'),
                pg_catalog.quote_ident(pg_catalog.current_database())
                USING ERRCODE = '55000',
                      HINT = pg_catalog.format(
                          'Set cron.database_name = %L and restart, then CREATE EXTENSION pg_cron here; '
                          'or run a worker with --tick instead.',
                          pg_catalog.current_database()
                      );
        END IF;
        RAISE EXCEPTION 'pg_cron is loaded for database % but the extension is not created there',
            pg_catalog.quote_ident(pg_catalog.current_database())
            USING ERRCODE = '55000',
                  HINT = 'As a superuser in this database run CREATE EXTENSION pg_cron; then install the jobs again.';
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
'Installs or updates the pg_cron jobs runlog_tick, runlog_prewarm, runlog_reaper (every minute) and runlog_retention (daily); idempotent. 55000 saying which step is missing: pg_cron not installed on the server, not preloaded, running in another database, or its extension not created here.';
