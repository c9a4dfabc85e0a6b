CREATE OR REPLACE FUNCTION runlog.request_sync(
    org_id uuid,
    integration_type text,
    triggered_by text DEFAULT 'manual',
    scheduled_for timestamptz DEFAULT NULL,
    idempotency_key text DEFAULT NULL
)
RETURNS runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    queued runlog.sync_run_log;
BEGIN
    PERFORM runlog._check_run_args(
        request_sync.org_id, request_sync.integration_type, request_sync.triggered_by,
        request_sync.scheduled_for, request_sync.idempotency_key
    );
    PERFORM runlog._require_org_access(request_sync.org_id);
    queued := runlog._insert_run(
        request_sync.org_id, request_sync.integration_type, 'queued', request_sync.triggered_by,
        request_sync.scheduled_for, request_sync.idempotency_key
    );
    PERFORM pg_catalog.pg_notify(
        'runlog_queued',
        pg_catalog.json_build_object(
            'id', queued.id,
            'org_id', queued.org_id,
            'integration_type', queued.integration_type
        )::text
    );
    RETURN queued;
END
$function$;

COMMENT ON FUNCTION runlog.request_sync(uuid, text, text, timestamptz, text) IS
'Queues a run (status queued) and notifies workers on channel runlog_queued. Readers may request only for their own organisation. RL003 when the idempotency key is live.';
