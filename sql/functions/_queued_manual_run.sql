CREATE OR REPLACE FUNCTION runlog._queued_manual_run(org_id uuid, integration_type text)
RETURNS runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    queued runlog.sync_run_log;
BEGIN
    -- The gate's row lock serialises concurrent requests for this integration
    -- until the caller's transaction ends.
    INSERT INTO runlog.manual_request_gate AS g (org_id, integration_type)
    VALUES (_queued_manual_run.org_id, _queued_manual_run.integration_type)
    ON CONFLICT ON CONSTRAINT manual_request_gate_pkey DO UPDATE SET requested_at = pg_catalog.now();
    SELECT r.* INTO queued
    FROM runlog.sync_run_log AS r
    WHERE
        r.org_id = _queued_manual_run.org_id
        AND r.integration_type = _queued_manual_run.integration_type
        AND r.status = 'queued'
        AND r.triggered_by = 'manual'
    ORDER BY r.id
    LIMIT 1;
    RETURN queued;
END
$function$;

COMMENT ON FUNCTION runlog._queued_manual_run(uuid, text) IS
'For a reader''s request (request_sync, retry_period): locks the integration''s manual_request_gate row and returns its oldest queued manual run, NULL (all columns) when there is none.';
