CREATE OR REPLACE FUNCTION runlog.prune(older_than interval DEFAULT null, max_batches integer DEFAULT 100)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    problem runlog.problem := runlog._cron_access_problem();  -- the owner may not use pg_cron
    config runlog.settings;
    age_limit interval;
    batch bigint;
    total bigint := 0;
    cron_schema constant text := 'cron';
BEGIN
    SELECT s.* INTO STRICT config FROM runlog.settings AS s;
    age_limit := coalesce(prune.older_than, config.retention);
    IF age_limit < interval '1 hour' THEN
        RAISE EXCEPTION USING
            ERRCODE = '22023',
            MESSAGE = pg_catalog.format('older_than must be at least 1 hour, got %s', pg_catalog.justify_interval(age_limit)),
            HINT = 'Pass an interval such as ''30 days'', or NULL for settings.retention.';
    END IF;
    FOR i IN 1..greatest(prune.max_batches, 1) LOOP
        WITH doomed AS (
            SELECT r.id
            FROM runlog.sync_run_log AS r
            WHERE
                r.ended_at < pg_catalog.now() - age_limit
                -- always keep the latest started run of each integration
                AND EXISTS (
                    SELECT FROM runlog.sync_run_log AS newer
                    WHERE
                        newer.org_id = r.org_id
                        AND newer.integration_type = r.integration_type
                        AND newer.started_at IS NOT NULL
                        AND (newer.started_at, newer.id) > (coalesce(r.started_at, '-infinity'), r.id)
                )
            ORDER BY r.id
            LIMIT config.retention_batch
            FOR UPDATE SKIP LOCKED
        )

        DELETE FROM runlog.sync_run_log AS r
        USING doomed AS d
        WHERE r.id = d.id;
        GET DIAGNOSTICS batch = ROW_COUNT;
        total := total + batch;
        EXIT WHEN batch < config.retention_batch;
    END LOOP;

    DELETE FROM runlog.prewarm_log AS p WHERE p.recorded_at < pg_catalog.now() - age_limit;
    DELETE FROM runlog.alert_log AS a WHERE a.raised_at < pg_catalog.now() - age_limit;

    -- pg_cron never prunes its own run history: prune our jobs' rows.
    -- (dynamic SQL: the cron schema exists only where pg_cron is installed)
    IF problem.message IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = problem.sqlstate, MESSAGE = problem.message, HINT = problem.hint;
    END IF;
    IF pg_catalog.to_regclass('cron.job_run_details') IS NOT NULL THEN
        EXECUTE pg_catalog.format(
            'DELETE FROM %1$I.job_run_details AS d USING %1$I.job AS j'
            ' WHERE d.jobid = j.jobid AND j.jobname LIKE ''runlog\_%%'' AND d.end_time < $1',
            cron_schema
        ) USING pg_catalog.now() - config.cron_history;
    END IF;
    RETURN total;
END
$function$;

COMMENT ON FUNCTION runlog.prune(interval, integer) IS
'Retention: deletes ended runs older than older_than (default settings.retention, 90 days) in bounded batches, always keeping the latest run per integration; prunes old pre-warm outcomes and pg_cron''s job_run_details of the runlog jobs. Returns the runs deleted.';
