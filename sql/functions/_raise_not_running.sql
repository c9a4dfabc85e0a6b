CREATE OR REPLACE FUNCTION runlog._raise_not_running(run_id bigint)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    found_status text;
BEGIN
    SELECT r.status INTO found_status
    FROM runlog.sync_run_log AS r
    WHERE r.id = _raise_not_running.run_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'run % not found', _raise_not_running.run_id
            USING ERRCODE = 'RL004';
    END IF;
    RAISE EXCEPTION 'run % is not running: its status is %', _raise_not_running.run_id, found_status
        USING ERRCODE = 'RL002';
END
$function$;

COMMENT ON FUNCTION runlog._raise_not_running(bigint) IS
'Raises RL004 when the run does not exist, else RL002 naming its status.';
