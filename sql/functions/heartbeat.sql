CREATE OR REPLACE FUNCTION runlog.heartbeat(
    run_id bigint,
    records_processed bigint DEFAULT NULL,
    records_failed bigint DEFAULT NULL
)
RETURNS runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    beaten runlog.sync_run_log;
    problem runlog.problem := runlog._counts_problem(heartbeat.records_processed, heartbeat.records_failed);
BEGIN
    IF problem.message IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = problem.sqlstate, MESSAGE = problem.message, HINT = problem.hint;
    END IF;

    UPDATE runlog.sync_run_log AS r
    SET
        heartbeat_at = pg_catalog.clock_timestamp(),
        records_processed = coalesce(heartbeat.records_processed, r.records_processed),
        records_failed = coalesce(heartbeat.records_failed, r.records_failed)
    WHERE r.id = heartbeat.run_id AND r.status = 'running'
    RETURNING r.* INTO beaten;

    IF NOT FOUND THEN
        problem := runlog._not_running_problem(heartbeat.run_id);
        RAISE EXCEPTION USING ERRCODE = problem.sqlstate, MESSAGE = problem.message, HINT = problem.hint;
    END IF;
    RETURN beaten;
END
$function$;

COMMENT ON FUNCTION runlog.heartbeat(bigint, bigint, bigint) IS
'Records a sign of life (and optionally progress) of a running run. RL002 when the run is no longer running (e.g. cancelled), RL004 when unknown.';
